// Opaque nextToken values for ECR list operations: the cursor, encoded so clients treat it as opaque.
import { errors } from '../../domain/errors.ts';

export function encodeToken(cursor: unknown): string {
  return Buffer.from(JSON.stringify({ c: cursor })).toString('base64url');
}

export function decodeToken<T>(token: string | undefined): T | undefined {
  if (token === undefined) return undefined;
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')).c as T;
  } catch {
    throw errors.invalidParameter({ field: 'nextToken', reason: 'Invalid NextToken' });
  }
}

/** ECR: identifiers and pagination are exclusive. */
export function checkExclusive(ids: unknown[] | undefined, input: { maxResults?: number; nextToken?: string }, idsField: string): void {
  if (ids && (input.maxResults !== undefined || input.nextToken !== undefined)) {
    throw errors.invalidParameterMessage({ message: `Invalid parameter: ${idsField} cannot be used together with maxResults or nextToken.` });
  }
}
