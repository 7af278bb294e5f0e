// Readiness (GET /readyz): the process can serve registry traffic when the metadata store answers a
// query and the blob store accepts a write, and it is not shutting down.
import type { BlobStore } from '../ports/blob-store.ts';
import type { MetadataStore } from '../ports/metadata-store.ts';

export class ReadinessProbe {
  private closing = false;

  constructor(private readonly meta: MetadataStore, private readonly blobs: BlobStore, private readonly newId: () => string) {}

  /** From now on check() answers 'shutting down'. */
  shuttingDown(): void {
    this.closing = true;
  }

  /**
   * Undefined when ready, else the reason: a metadata read (a registry setting) that fails, or a blob
   * store that cannot open and remove an empty upload session. Errors' messages name the cause.
   */
  async check(): Promise<string | undefined> {
    if (this.closing) return 'shutting down';
    try {
      await this.meta.getSetting('readiness-probe');
    } catch (e) {
      return `metadata store does not answer: ${message(e)}`;
    }
    const id = this.newId();
    try {
      await this.blobs.startUpload(id);
    } catch (e) {
      return `blob store is not writable: ${message(e)}`;
    }
    await this.blobs.abortUpload(id).catch(() => {});
    return undefined;
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
