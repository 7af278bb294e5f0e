// Several accounts' registries in one store, and their host names.
//
// A repository is stored under its key: its own name in the default registry (the configured
// account's), `<account>:<name>` in any other. ':' never occurs in a repository name, so keys of
// different registries never collide, a store that only ever had the default registry needs no
// migration, and each other registry's repositories form one contiguous range in name order
// (from `<account>:` to `<account>;`). Registry settings and pull-time exclusions are keyed the
// same way (docs/access-control.md#accounts).

/** What a store key starts with in `account`'s registry: '' in the default registry. */
export function registryPrefix(account: string, defaultAccount: string): string {
  return account === defaultAccount ? '' : `${account}:`;
}

/** The store key of repository `name` in the registry whose prefix is `prefix`. */
export function repositoryKey(prefix: string, name: string): string {
  return prefix + name;
}

/** The registry account of a store key (undefined: the default registry) and the repository name. */
export function splitRepositoryKey(key: string): { account?: string; name: string } {
  const i = key.indexOf(':');
  return i < 0 ? { name: key } : { account: key.slice(0, i), name: key.slice(i + 1) };
}

const ECR_HOST = /^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.(.+)$/;

/** `<account>.dkr.ecr.<region>.<domain>`, ECR's registry host name. */
export function registryHostName(account: string, region: string, domain: string): string {
  return `${account}.dkr.ecr.${region}.${domain}`;
}

/**
 * The account a request's Host names: `<account>.dkr.ecr.<region>.<domain>` (any port, any case)
 * for this region and registry domain; undefined for any other host (the default registry).
 */
export function accountOfHost(host: string | undefined, region: string, domain: string | undefined): string | undefined {
  if (!host || !domain) return undefined;
  const name = host.toLowerCase().replace(/:[0-9]*$/, '').replace(/\.$/, '');
  const m = ECR_HOST.exec(name);
  return m && m[2] === region && m[3] === domain.toLowerCase() ? m[1] : undefined;
}

/** The registry domain an ECR-shaped host name implies (`<account>.dkr.ecr.<region>.<domain>`), if it is one. */
export function registryDomainOfHost(hostname: string, region: string): string | undefined {
  const m = ECR_HOST.exec(hostname.toLowerCase());
  return m && m[2] === region ? m[3] : undefined;
}
