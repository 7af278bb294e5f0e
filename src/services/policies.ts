// Repository and registry policies and the account settings (ECR §8, §9): validated, then stored in
// the metadata store. Policies are stored only; nothing evaluates them yet.
import { parsePolicy, PolicyError, wouldLockOut, type RegistryPolicyScope } from '../domain/aws/policy.ts';
import { errors } from '../domain/errors.ts';
import type { Principal } from './identity.ts';
import type { RepositoryService } from './repositories.ts';
import type { ServiceDeps } from './context.ts';

/**
 * Account settings ECR knows, their accepted values and Wharf's default. BLOB_MOUNTING defaults to
 * ENABLED because Wharf mounts blobs across repositories (ECR's default is DISABLED).
 */
export const ACCOUNT_SETTINGS: Readonly<Record<string, { values: readonly string[]; default: string }>> = {
  BASIC_SCAN_TYPE_VERSION: { values: ['AWS_NATIVE', 'CLAIR'], default: 'AWS_NATIVE' },
  REGISTRY_POLICY_SCOPE: { values: ['V1', 'V2'], default: 'V2' },
  BLOB_MOUNTING: { values: ['ENABLED', 'DISABLED'], default: 'ENABLED' },
};

/** Metadata-store keys of the registry-wide values kept here. */
export const REGISTRY_POLICY_KEY = 'registry-policy';
const settingKey = (name: string) => `account-setting:${name}`;

function checkPolicy(text: string, kind: 'repository' | 'registry', scope?: RegistryPolicyScope) {
  try {
    return parsePolicy(text, kind, scope);
  } catch (e) {
    if (e instanceof PolicyError) throw errors.invalidParameter({ field: 'PolicyText', reason: `Invalid ${kind} policy provided` });
    throw e;
  }
}

export class PolicyService {
  constructor(private readonly d: ServiceDeps, private readonly repositories: RepositoryService) {}

  /**
   * Sets a repository's policy after checking it. Unless `force`, refuses a policy that denies the
   * caller ecr:SetRepositoryPolicy outright (it would lock them out of changing it again).
   */
  async setRepositoryPolicy(repo: string, text: string, force: boolean, caller: Principal): Promise<void> {
    await this.repositories.require(repo);
    const doc = checkPolicy(text, 'repository');
    if (!force && wouldLockOut(doc, caller.arn, caller.accountId)) {
      throw errors.invalidParameter({ field: 'PolicyText', reason: 'The repository policy would prevent you from setting a policy on this repository again; set force to apply it anyway' });
    }
    if (!(await this.d.meta.setRepositoryPolicy(repo, text))) throw this.repositories.notFound(repo);
  }

  /** The policy text; RepositoryNotFound or RepositoryPolicyNotFound. */
  async getRepositoryPolicy(repo: string): Promise<string> {
    await this.repositories.require(repo);
    const p = await this.d.meta.getRepositoryPolicy(repo);
    if (!p) throw this.repositories.notFound(repo);
    if (p.text === undefined) throw errors.repositoryPolicyNotFound({ repo, registryId: this.d.registryId });
    return p.text;
  }

  /** Removes the policy and returns the text it had. */
  async deleteRepositoryPolicy(repo: string): Promise<string> {
    const text = await this.getRepositoryPolicy(repo);
    if (!(await this.d.meta.setRepositoryPolicy(repo, undefined))) throw this.repositories.notFound(repo);
    return text;
  }

  /** Checks the registry policy against the current REGISTRY_POLICY_SCOPE and stores it. */
  async putRegistryPolicy(text: string): Promise<void> {
    checkPolicy(text, 'registry', (await this.getAccountSetting('REGISTRY_POLICY_SCOPE')) as RegistryPolicyScope);
    await this.d.meta.putSetting(REGISTRY_POLICY_KEY, text);
  }

  async getRegistryPolicy(): Promise<string> {
    const text = await this.d.meta.getSetting(REGISTRY_POLICY_KEY);
    if (text === undefined) throw errors.registryPolicyNotFound({ registryId: this.d.registryId });
    return text;
  }

  async deleteRegistryPolicy(): Promise<string> {
    const text = await this.getRegistryPolicy();
    await this.d.meta.putSetting(REGISTRY_POLICY_KEY, undefined);
    return text;
  }

  /** The effective value of an account setting (its default until set); ValidationException for unknown names. */
  async getAccountSetting(name: string): Promise<string> {
    const def = this.settingDef(name);
    return (await this.d.meta.getSetting(settingKey(name))) ?? def.default;
  }

  async putAccountSetting(name: string, value: string): Promise<void> {
    const def = this.settingDef(name);
    if (!def.values.includes(value)) {
      throw errors.validation({ violations: [`Value '${value}' at 'value' failed to satisfy constraint: Member must satisfy enum value set: [${def.values.join(', ')}]`] });
    }
    await this.d.meta.putSetting(settingKey(name), value);
  }

  private settingDef(name: string) {
    const def = Object.hasOwn(ACCOUNT_SETTINGS, name) ? ACCOUNT_SETTINGS[name] : undefined;
    if (!def) {
      throw errors.validation({ violations: [`Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy enum value set: [${Object.keys(ACCOUNT_SETTINGS).join(', ')}]`] });
    }
    return def;
  }
}
