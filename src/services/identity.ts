// Identities: who signed a request (SigV4 access keys) and who holds a registry token. One account
// per installation for now, with a root access key from the environment or generated on first start.
import type { IdentityStore } from '../ports/identity-store.ts';
import type { SecretBox } from '../ports/secret-box.ts';
import type { Clock } from '../ports/clock.ts';
import { newAccessKeyId, newSecretAccessKey as newSecret } from './credentials.ts';

export interface Principal {
  /** arn:aws:iam::<account>:root or arn:aws:iam::<account>:user/<name> */
  readonly arn: string;
  readonly accountId: string;
  readonly kind: 'root' | 'user';
  /** The access key that authenticated the request, when one did. */
  readonly accessKeyId?: string;
  /** An IAM user's unique id (`AIDA…`, AWS's `aws:userid`), when the identity store knows it. */
  readonly userId?: string;
}

export function rootArn(accountId: string): string {
  return `arn:aws:iam::${accountId}:root`;
}

export function principalFromArn(arn: string, accessKeyId?: string): Principal {
  const m = arn.match(/^arn:aws:iam::([0-9]{12}):(root|user\/.+)$/);
  if (!m) throw new Error(`not a principal ARN: ${arn}`);
  return { arn, accountId: m[1], kind: m[2] === 'root' ? 'root' : 'user', ...(accessKeyId ? { accessKeyId } : {}) };
}

export class IdentityService {
  constructor(private readonly store: IdentityStore, private readonly box: SecretBox, private readonly clock: Clock, readonly accountId: string) {}

  /**
   * Makes sure the root principal has an access key. With `given` (from WHARF_ROOT_ACCESS_KEY_ID /
   * WHARF_ROOT_SECRET_ACCESS_KEY) that key is stored; otherwise one is generated once and returned
   * so the caller can hand it to the operator; later starts return undefined.
   */
  async ensureRootKey(given?: { accessKeyId: string; secretAccessKey: string }): Promise<{ accessKeyId: string; secretAccessKey: string } | undefined> {
    const arn = rootArn(this.accountId);
    if (given) {
      const existing = await this.store.getAccessKey(given.accessKeyId);
      if (!existing || existing.principalArn !== arn || this.box.open(existing.sealedSecret) !== given.secretAccessKey) {
        await this.store.putAccessKey({ accessKeyId: given.accessKeyId, sealedSecret: this.box.seal(given.secretAccessKey), principalArn: arn, status: 'Active', createdAt: this.clock.now() });
      }
      return undefined;
    }
    if ((await this.store.listAccessKeys(arn)).some((k) => k.status === 'Active')) return undefined;
    const key = { accessKeyId: newAccessKeyId(), secretAccessKey: newSecret() };
    await this.store.putAccessKey({ accessKeyId: key.accessKeyId, sealedSecret: this.box.seal(key.secretAccessKey), principalArn: arn, status: 'Active', createdAt: this.clock.now() });
    return key;
  }

  /**
   * Replaces the root principal's access keys with a new one (a lost or leaked key): every older root
   * key becomes Inactive at once, also for a server running on the same store, because lookup()
   * reads the store on every request. Registry tokens issued before keep working until they expire
   * (they are sealed with a key derived from the master key, not tied to the access key). Returns the new key, to show once.
   */
  async rotateRootKey(): Promise<{ accessKeyId: string; secretAccessKey: string; deactivated: number }> {
    const key = { accessKeyId: newAccessKeyId(), secretAccessKey: newSecret() };
    const deactivated = await this.store.replaceAccessKeys({ accessKeyId: key.accessKeyId, sealedSecret: this.box.seal(key.secretAccessKey), principalArn: rootArn(this.accountId), status: 'Active', createdAt: this.clock.now() });
    return { ...key, deactivated };
  }

  /** The secret and principal of an active access key, or undefined when unknown or inactive. */
  async lookup(accessKeyId: string): Promise<{ secret: string; principal: Principal } | undefined> {
    const k = await this.store.getAccessKey(accessKeyId);
    if (!k || k.status !== 'Active') return undefined;
    return { secret: this.box.open(k.sealedSecret), principal: principalFromArn(k.principalArn, accessKeyId) };
  }
}
