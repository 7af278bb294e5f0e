// Repository names and tags: the distribution-spec grammar, enforced as a full match.
import { errors } from './errors.ts';

/** distribution-spec: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*` */
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** ECR limits repository names to 2-256 characters. */
export const NAME_MIN = 2;
export const NAME_MAX = 256;

export function isRepositoryName(name: string): boolean {
  return name.length >= NAME_MIN && name.length <= NAME_MAX && NAME.test(name);
}

/** Validates a repository name, throwing NAME_INVALID with the reason. */
export function assertRepositoryName(name: string): string {
  if (name.length < NAME_MIN || name.length > NAME_MAX) {
    throw errors.nameInvalid({ name, reason: `length must be between ${NAME_MIN} and ${NAME_MAX}` });
  }
  if (!NAME.test(name)) {
    throw errors.nameInvalid({ name, reason: 'must match [a-z0-9]+((.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((.|_|__|-+)[a-z0-9]+)*)*' });
  }
  return name;
}

export function isTag(tag: string): boolean {
  return TAG.test(tag);
}

export function assertTag(tag: string): string {
  if (!TAG.test(tag)) throw errors.tagNameInvalid({ tag });
  return tag;
}
