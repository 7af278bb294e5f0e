// One account's registry as a MetadataStore of its own: repository names, registry settings and
// pull-time exclusions are keyed with the registry's prefix (domain/registries.ts) on the way in and
// unkeyed on the way out, and listings show only this registry's records. Services built on a view
// need not know that other registries share the store. Blob records, garbage collection and the
// access version are installation-wide and pass through.
import { repositoryKey, splitRepositoryKey } from '../domain/registries.ts';
import type {
  ImageExpectation, ImageIdRow, ImageStatus, ImageStatusFilter, MetadataStore, NewManifest, Repository, RepositoryStats,
  TagDecision, TagStatus, UploadSession,
} from '../ports/metadata-store.ts';
import type { LifecycleAction } from '../domain/lifecycle/types.ts';
import type { RepositorySettings } from '../domain/repository.ts';

/** A sorted listing with an exclusive `after` cursor, as the store's list methods are. */
type Listing<T> = (after: string | undefined, limit: number) => Promise<T[]>;

/**
 * Keys of a registry: repository keys (`<prefix><name>`; the default registry's are the names without
 * ':'), and pull-time exclusion keys (`<account>|<arn>` in other registries; bare ARNs in the default).
 */
class RegistryKeys {
  constructor(readonly prefix: string) {}

  repo(name: string): string {
    return repositoryKey(this.prefix, name);
  }

  /** The name of a key of this registry, or undefined for another registry's key. */
  nameOf(key: string): string | undefined {
    if (this.prefix === '') return key.includes(':') ? undefined : key;
    return key.startsWith(this.prefix) ? key.slice(this.prefix.length) : undefined;
  }

  setting(name: string): string {
    return this.prefix + name;
  }

  principal(arn: string): string {
    return this.prefix === '' ? arn : `${this.prefix.slice(0, -1)}|${arn}`;
  }

  principalOf(key: string): string | undefined {
    if (this.prefix === '') return key.startsWith('arn:') ? key : undefined;
    const p = `${this.prefix.slice(0, -1)}|`;
    return key.startsWith(p) ? key.slice(p.length) : undefined;
  }

  /**
   * One page of this registry's repository rows from a store-wide listing. Another registry's rows
   * form one range (`<account>:` … `<account>;`): the default registry's page skips each range it
   * meets with one more query, any other registry's page reads only its own range.
   */
  async page<T>(list: Listing<T>, keyOf: (t: T) => string, after: string | undefined, limit: number): Promise<T[]> {
    const out: T[] = [];
    if (this.prefix !== '') {
      for (const row of await list(this.prefix + (after ?? ''), limit)) {
        if (!keyOf(row).startsWith(this.prefix)) break;
        out.push(row);
      }
      return out;
    }
    let cursor = after;
    while (out.length < limit) {
      const want = limit - out.length;
      const rows = await list(cursor, want);
      let skipped = false;
      for (const row of rows) {
        const key = keyOf(row);
        const other = splitRepositoryKey(key).account;
        if (other !== undefined) {
          cursor = `${other};`;
          skipped = true;
          break;
        }
        out.push(row);
        cursor = key;
      }
      if (!skipped && rows.length < want) break;
    }
    return out;
  }
}

function renamed<T extends { name: string }>(k: RegistryKeys, r: T | undefined): T | undefined {
  if (!r) return undefined;
  const name = k.nameOf(r.name);
  return name === undefined ? undefined : { ...r, name };
}

/** `meta` as the registry whose keys start with `prefix` ('' for the default registry) sees it. */
export function registryView(meta: MetadataStore, prefix: string): MetadataStore {
  const k = new RegistryKeys(prefix);
  const repo = (name: string) => k.repo(name);
  const decideIn = (decide: TagDecision): TagDecision => (r, tag, current, next) => decide(renamed(k, r) ?? r, tag, current, next);
  const session = (s: UploadSession | undefined): UploadSession | undefined => {
    const name = s && k.nameOf(s.repo);
    return name === undefined ? undefined : { ...s!, repo: name };
  };
  return {
    // Repositories and registry settings.
    createRepository: async (name, at, settings?: Partial<RepositorySettings>, tags?) => renamed(k, await meta.createRepository(repo(name), at, settings, tags)),
    updateRepository: async (name, patch) => renamed(k, await meta.updateRepository(repo(name), patch)),
    listRepositoryRecords: async (after, limit) =>
      (await k.page((a, l) => meta.listRepositoryRecords(a, l), (r) => r.name, after, limit)).map((r) => renamed(k, r)!),
    getRepository: async (name) => renamed(k, await meta.getRepository(repo(name))),
    listRepositories: async (after, limit) =>
      (await k.page((a, l) => meta.listRepositories(a, l), (n) => n, after, limit)).map((n) => k.nameOf(n)!),
    deleteRepository: (name, opts) => meta.deleteRepository(repo(name), opts),
    getRepositoryPolicy: (name) => meta.getRepositoryPolicy(repo(name)),
    setRepositoryPolicy: (name, text) => meta.setRepositoryPolicy(repo(name), text),
    getResourceTags: (name) => meta.getResourceTags(repo(name)),
    changeResourceTags: (name, add, remove, max) => meta.changeResourceTags(repo(name), add, remove, max),
    getSetting: (name) => meta.getSetting(k.setting(name)),
    putSetting: (name, value) => meta.putSetting(k.setting(name), value),
    accessVersion: () => meta.accessVersion(),
    // Blob links (blob rows themselves are shared by every registry).
    linkBlob: (r, digest, size, at) => meta.linkBlob(repo(r), digest, size, at),
    getLinkedBlob: (r, digest) => meta.getLinkedBlob(repo(r), digest),
    unlinkBlob: (r, digest) => meta.unlinkBlob(repo(r), digest),
    reserveBlob: (digest, size, at) => meta.reserveBlob(digest, size, at),
    linkReservedBlob: (r, res, size, at) => meta.linkReservedBlob(repo(r), res, size, at),
    mountBlob: (r, from, digest, at) => meta.mountBlob(repo(r), repo(from), digest, at),
    // Upload sessions: another registry's session is not found here.
    createUpload: (s) => meta.createUpload({ ...s, repo: repo(s.repo) }),
    getUpload: async (id) => session(await meta.getUpload(id)),
    deleteUpload: (id) => meta.deleteUpload(id),
    listUploadsStartedBefore: async (before) => (await meta.listUploadsStartedBefore(before)).map(session).filter((s): s is UploadSession => !!s),
    // Images.
    putManifest: (r, m: NewManifest, tag, at, decide) => meta.putManifest(repo(r), m, tag, at, decideIn(decide)),
    getManifest: async (r, digest) => {
      const m = await meta.getManifest(repo(r), digest);
      return m && { ...m, repo: r };
    },
    getManifestByTag: async (r, tag) => {
      const m = await meta.getManifestByTag(repo(r), tag);
      return m && { ...m, repo: r };
    },
    deleteManifest: (r, digest) => meta.deleteManifest(repo(r), digest),
    deleteTag: (r, tag) => meta.deleteTag(repo(r), tag),
    listTagsJson: (r, after, limit) => meta.listTagsJson(repo(r), after, limit),
    listImages: (r, after, limit, tagStatus?: TagStatus, imageStatus?: ImageStatusFilter) => meta.listImages(repo(r), after, limit, tagStatus, imageStatus),
    getImages: (r, digests) => meta.getImages(repo(r), digests),
    listImageIds: (r, after: ImageIdRow | undefined, limit, tagStatus, imageStatus) => meta.listImageIds(repo(r), after, limit, tagStatus, imageStatus),
    resolveTag: (r, tag) => meta.resolveTag(repo(r), tag),
    recordPull: (r, digest, at, minIntervalMs, principalArn) =>
      meta.recordPull(repo(r), digest, at, minIntervalMs, principalArn === undefined ? undefined : k.principal(principalArn)),
    listReferrers: (r, subject, artifactType, imageStatus) => meta.listReferrers(repo(r), subject, artifactType, imageStatus),
    blobInArchivedImagesOnly: (r, digest) => meta.blobInArchivedImagesOnly(repo(r), digest),
    latestManifestUsingBlob: async (r, digest) => {
      const m = await meta.latestManifestUsingBlob(repo(r), digest);
      return m && { ...m, repo: r };
    },
    deleteImage: (r, digest, expect?: ImageExpectation) => meta.deleteImage(repo(r), digest, expect),
    untagImage: (r, tag, digest) => meta.untagImage(repo(r), tag, digest),
    // Lifecycle.
    getLifecyclePolicy: (r) => meta.getLifecyclePolicy(repo(r)),
    putLifecyclePolicy: (r, text) => meta.putLifecyclePolicy(repo(r), text),
    setLifecycleEvaluatedAt: (r, at) => meta.setLifecycleEvaluatedAt(repo(r), at),
    listLifecyclePolicies: async (after, limit) =>
      (await k.page((a, l) => meta.listLifecyclePolicies(a, l), (p) => p.repo, after, limit)).map((p) => ({ ...p, repo: k.nameOf(p.repo)! })),
    listLifecycleImages: (r, after, limit) => meta.listLifecycleImages(repo(r), after, limit),
    startLifecyclePreview: (r, text, at, staleBefore) => meta.startLifecyclePreview(repo(r), text, at, staleBefore),
    finishLifecyclePreview: (r, startedAt, status, results?: readonly LifecycleAction[]) => meta.finishLifecyclePreview(repo(r), startedAt, status, results),
    getLifecyclePreview: (r) => meta.getLifecyclePreview(repo(r)),
    // Archive and pull-time exclusions (a registry's own list).
    changeImageStatus: (r, digest, from: readonly ImageStatus[], to, at, expect) => meta.changeImageStatus(repo(r), digest, from, to, at, expect),
    addPullTimeExclusion: (arn, at, max) => meta.addPullTimeExclusion(k.principal(arn), at, max),
    removePullTimeExclusion: (arn) => meta.removePullTimeExclusion(k.principal(arn)),
    listPullTimeExclusions: async (after, limit) => {
      // Every ARN sorts after 'arn:', every other registry's key ('<account>|arn:…') before it.
      const start = after !== undefined ? k.principal(after) : prefix === '' ? 'arn:' : k.principal('');
      const out = [];
      for (const e of await meta.listPullTimeExclusions(start, limit)) {
        const arn = k.principalOf(e.principalArn);
        if (arn === undefined) break;
        out.push({ ...e, principalArn: arn });
      }
      return out;
    },
    // Installation-wide: blob collection; statistics of this registry's repositories.
    listUnreferencedBlobs: (cutoff, after, limit) => meta.listUnreferencedBlobs(cutoff, after, limit),
    markBlobsForDeletion: (digests, cutoff, at, owner) => meta.markBlobsForDeletion(digests, cutoff, at, owner),
    listMarkedBlobs: (limit) => meta.listMarkedBlobs(limit),
    forgetMarkedBlobs: (digests) => meta.forgetMarkedBlobs(digests),
    repositoryStats: async (after, limit) =>
      (await k.page((a, l) => meta.repositoryStats(a, l), (s) => s.name, after, limit)).map((s): RepositoryStats => ({ ...s, name: k.nameOf(s.name)! })),
    close: () => Promise.resolve(),
  };
}
