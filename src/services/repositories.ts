// Repository use cases: create, look up, list, delete.
import { errors } from '../domain/errors.ts';
import { assertRepositoryName } from '../domain/names.ts';
import type { Repository } from '../ports/metadata-store.ts';
import type { ServiceDeps } from './context.ts';

export class RepositoryService {
  constructor(private readonly d: ServiceDeps) {}

  async create(name: string): Promise<Repository> {
    assertRepositoryName(name);
    const r = await this.d.meta.createRepository(name, this.d.clock.now());
    if (!r) throw errors.repositoryAlreadyExists({ repo: name, registryId: this.d.registryId });
    return r;
  }

  /** The repository, or NAME_UNKNOWN / RepositoryNotFoundException with ECR's message. */
  async require(name: string): Promise<Repository> {
    assertRepositoryName(name);
    const r = await this.d.meta.getRepository(name);
    if (!r) throw this.notFound(name);
    return r;
  }

  notFound(name: string) {
    return errors.repositoryNotFound({ repo: name, registryId: this.d.registryId });
  }

  /** One page of names after `after`; `more` tells whether another page exists. */
  async list(after: string | undefined, limit: number): Promise<{ names: string[]; more: boolean }> {
    const names = await this.d.meta.listRepositories(after, limit + 1);
    return { names: names.slice(0, limit), more: names.length > limit };
  }

  async delete(name: string): Promise<void> {
    assertRepositoryName(name);
    if (!(await this.d.meta.deleteRepository(name))) throw this.notFound(name);
  }
}
