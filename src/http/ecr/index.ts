// The ECR control plane: AWS JSON 1.1 over POST / with X-Amz-Target (reached through the AWS front
// door, ../aws/index.ts, which also sends it every POST / that is neither JSON nor Query). Identifies the signer before
// reading the body, reads it capped per operation (./body.ts), verifies SigV4, validates the input
// against the ECR model, authorizes, runs the operation, and renders output or errors the way the
// AWS SDKs expect.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/schema.ts';
import { validateInput, violationStyleOf } from '../../domain/aws/validate.ts';
import { errors, WharfError } from '../../domain/errors.ts';
import { toWharfError } from '../errors.ts';
import type { PendingSignature, SigningScope } from '../../services/authentication.ts';
import { requestFacts } from '../request-facts.ts';
import { clientGone, notePrincipal } from '../observability/index.ts';
import type { Services } from '../services.ts';
import { answerAndClose, bodyLimit, PREAUTH_READ_LIMIT, readBodyUpTo } from './body.ts';
import { repositoryArn, type OperationTable } from './context.ts';
import { ECR_MODEL, SIGNING_NAME, TARGET_PREFIX } from './model.ts';
import { operations } from './ops/index.ts';
import { invalidArn } from './ops/repository-settings.ts';
import { renderAwsError, toWire } from './wire.ts';

const JSON_11 = 'application/x-amz-json-1.1';
/** ECR's credential scope: service `ecr` in Wharf's own region. */
const ECR_SCOPE: SigningScope = { service: SIGNING_NAME };

/** The model's repository-name grammar (also the OCI one, so both planes accept the same names). */
const ECR_NAME_PATTERN = String(ECR_MODEL.shapes.RepositoryName.pattern);
const ECR_NAME = new RegExp(`^(?:${ECR_NAME_PATTERN})$`);

/**
 * ECR answers a repositoryName of valid length that breaks its grammar with InvalidParameterException
 * (`Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression …'`),
 * before the generic model checks (which answer lengths with ValidationException, or with
 * InvalidParameterException for operations whose model lists no ValidationException).
 */
function checkRepositoryName(input: unknown): void {
  const name = (input as { repositoryName?: unknown } | null)?.repositoryName;
  if (typeof name !== 'string' || name.length < 2 || name.length > 256 || ECR_NAME.test(name)) return;
  throw errors.invalidParameter({ field: 'repositoryName', reason: `must satisfy regular expression '${ECR_NAME_PATTERN}'` });
}

/** The tags an operation sets or names, for aws:RequestTag/* and aws:TagKeys (CreateRepository, TagResource, UntagResource). */
function requestTagsOf(operation: string, input: unknown): { requestTags?: Record<string, string>; tagKeys?: string[] } {
  const i = input as { tags?: { Key?: unknown; Value?: unknown }[]; tagKeys?: unknown[] } | null;
  if ((operation === 'CreateRepository' || operation === 'TagResource') && Array.isArray(i?.tags)) {
    return { requestTags: Object.fromEntries(i.tags.filter((t) => typeof t?.Key === 'string').map((t) => [t.Key as string, typeof t.Value === 'string' ? t.Value : ''])) };
  }
  if (operation === 'UntagResource' && Array.isArray(i?.tagKeys)) return { tagKeys: i.tagKeys.filter((k): k is string => typeof k === 'string') };
  return {};
}

/** A 200 with an operation's output. Buffers, not strings: fastify would append '; charset=utf-8' to the content type AWS sends bare. */
function sendJson(reply: FastifyReply, out: Record<string, unknown>): void {
  reply.code(200).header('content-type', JSON_11).send(Buffer.from(JSON.stringify(toWire(out))));
}

const ARN_ACCOUNT = /^arn:aws:ecr:[^:]*:([0-9]{12}):/;

/** The registry an input names: its registryId, or the account of its resourceArn (tagging operations). */
function registryOf(input: unknown): string | undefined {
  const i = input as { registryId?: unknown; resourceArn?: unknown } | null;
  if (typeof i?.registryId === 'string') return i.registryId;
  return typeof i?.resourceArn === 'string' ? ARN_ACCOUNT.exec(i.resourceArn)?.[1] : undefined;
}

export async function handleEcr(s: Services, config: Config, req: FastifyRequest, reply: FastifyReply, table: OperationTable = operations): Promise<void> {
  const requestId = req.id; // (sent as x-amzn-requestid by the observability hook, on every answer)
  /** False while body bytes may still be unread; a refusal then closes the connection instead of draining it. */
  let bodyDone = false;
  try {
    const rawUrl = req.url;
    const q = rawUrl.indexOf('?');
    const query = q < 0 ? '' : rawUrl.slice(q + 1);
    // Presigned (query-string) requests may carry the target as a query parameter, as the JS SDK's presigner does.
    const target = String(req.headers['x-amz-target'] ?? new URLSearchParams(query).get('X-Amz-Target') ?? '');
    const name = target.startsWith(TARGET_PREFIX + '.') ? target.slice(TARGET_PREFIX.length + 1) : undefined;
    // Who signed is known before the body is read: a request no access key could have signed costs a
    // few KiB at most, whatever it claims to carry.
    let pending: PendingSignature;
    try {
      pending = await s.authn.signer({ method: req.method, path: q < 0 ? rawUrl : rawUrl.slice(0, q), query, headers: req.headers });
    } catch (e) {
      const small = await readBodyUpTo(req.raw, PREAUTH_READ_LIMIT).catch(() => 'too-large' as const);
      bodyDone = small !== 'too-large';
      throw e;
    }
    const limit = bodyLimit(ECR_MODEL, name);
    const body = await readBodyUpTo(req.raw, limit);
    if (body === 'too-large') throw errors.serialization({ reason: `Request body exceeds ${limit} bytes, the most ${name ?? 'this operation'} accepts.` });
    bodyDone = true;
    const principal = s.authn.verify(pending, createHash('sha256').update(body).digest('hex'), ECR_SCOPE);
    notePrincipal(req, principal.arn);
    // Own properties only: a target like '….__proto__' or '….constructor' names no operation.
    const model = name !== undefined && Object.hasOwn(ECR_MODEL.operations, name) ? ECR_MODEL.operations[name] : undefined;
    if (!model) throw errors.unknownOperation({ target });
    let input: unknown = {};
    if (body.length > 0) {
      try {
        input = JSON.parse(body.toString('utf8'));
      } catch {
        throw errors.serialization({ reason: 'Start of structure or map found where not expected, or the body is not valid JSON.' });
      }
    }
    checkRepositoryName(input);
    if (model.input) validateInput(ECR_MODEL, model.input.shape, input, violationStyleOf(model));
    const op = table[name!];
    if (!op) throw errors.notImplemented({ service: 'ECR', operation: name! });
    const resource = op.resource ? op.resource(input) : (input as { repositoryName?: string }).repositoryName;
    const action = op.action ?? `ecr:${name}`;
    // The registry addressed: registryId (or the account of a resourceArn) when given, for cross-account access; else the caller's.
    const registryId = registryOf(input) ?? principal.accountId;
    // A registry-wide operation on another account's registry acts on all of its repositories.
    const arn = resource ? repositoryArn(config, resource, registryId) : registryId === principal.accountId ? '*' : repositoryArn(config, '*', registryId);
    const facts = requestFacts(req, requestTagsOf(name!, input));
    const named = (input as { repositoryNames?: unknown } | null)?.repositoryNames;
    if (registryId !== principal.accountId) {
      // Another account's registry. One this installation does not hold has no repositories; in one it
      // holds, a repository must exist before its policy can allow anything (as ECR answers).
      const names = resource ? [resource] : Array.isArray(named) ? named.map(String) : [];
      if (!(await s.identity.hasAccount(registryId))) {
        if (names.length === 0 && name === 'DescribeRepositories') return sendJson(reply, { repositories: [] });
        if (typeof (input as { resourceArn?: unknown }).resourceArn === 'string') throw invalidArn();
        throw errors.repositoryNotFound({ repo: names[0] ?? '', registryId });
      }
      if (name !== 'CreateRepository') for (const n of names) await s.forRegistry(registryId).repositories.require(n);
    }
    // Operations that name several repositories (DescribeRepositories, BatchGetRepositoryScanningConfiguration) are authorized on each.
    if (!resource && Array.isArray(named) && named.length > 0) {
      for (const n of named) await s.authz.authorize(principal, action, repositoryArn(config, String(n), registryId), facts);
    } else await s.authz.authorize(principal, action, arn, facts);
    // Tags given to CreateRepository also need ecr:TagResource (a dependent action, as in AWS).
    if (name === 'CreateRepository' && facts.requestTags && Object.keys(facts.requestTags).length > 0) await s.authz.authorize(principal, 'ecr:TagResource', arn, facts);
    sendJson(reply, await op.handler({ principal, services: s.forRegistry(registryId), registryId, config, now: new Date() }, input));
  } catch (e) {
    const err = toWharfError(e);
    // A client that went away mid-request is routine: its access-log line says so, at info.
    if (!(e instanceof WharfError) && !clientGone(req.raw, reply.raw)) req.log.error({ err: e, requestId }, 'unhandled error in ECR operation');
    const r = renderAwsError(err);
    if (!bodyDone) return answerAndClose(reply, r.status, { 'content-type': JSON_11, 'x-amzn-errortype': r.type }, Buffer.from(r.body));
    reply.code(r.status).headers({ 'content-type': JSON_11, 'x-amzn-errortype': r.type }).send(Buffer.from(r.body));
  }
}
