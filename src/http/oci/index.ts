// The OCI Distribution API on /v2/: one dispatcher over parsed routes, errors rendered once.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/schema.ts';
import { errors, type WharfError } from '../../domain/errors.ts';
import type { Principal } from '../../services/identity.ts';
import { accountOfRequestHost, registryUrl, repositoryArn } from '../ecr/context.ts';
import { requestFacts } from '../request-facts.ts';
import { notePrincipal } from '../observability/index.ts';
import type { Services } from '../services.ts';
import { blob, startUpload, upload } from './blobs.ts';
import { presignedBlob } from './presigned.ts';
import { catalog, manifest, referrers, tags } from './manifests.ts';
import { ROUTE_METHODS, parseOciPath, type OciRoute } from './routes.ts';

export const API_VERSION_HEADER = { 'docker-distribution-api-version': 'registry/2.0' };

/** The IAM action ECR checks for each /v2/ request (ECR §4); undefined: a valid token is enough. */
export function actionFor(route: OciRoute, method: string): string | undefined {
  switch (route.kind) {
    case 'base': return undefined;
    case 'catalog': return 'ecr:DescribeRepositories';
    case 'tags': return 'ecr:ListImages';
    case 'referrers': return 'ecr:BatchGetImage';
    case 'manifest': return method === 'PUT' ? 'ecr:PutImage' : method === 'DELETE' ? 'ecr:BatchDeleteImage' : 'ecr:BatchGetImage';
    case 'blob': return method === 'HEAD' ? 'ecr:BatchCheckLayerAvailability' : method === 'DELETE' ? 'ecr:BatchDeleteImage' : 'ecr:GetDownloadUrlForLayer';
    case 'uploads': return 'ecr:InitiateLayerUpload';
    case 'upload': return method === 'PUT' ? 'ecr:CompleteLayerUpload' : 'ecr:UploadLayerPart';
  }
}

export async function handleOci(all: Services, config: Config, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.headers(API_VERSION_HEADER);
  // The registry is the one the Host names (<account>.dkr.ecr.<region>.<domain>), else the default account's.
  const account = accountOfRequestHost(config, req.headers.host);
  const s = all.forRegistry(account);
  const arnOf = (name: string) => repositoryArn(config, name, account);
  const signed = presignedBlob(s, req, req.url.split('?', 1)[0]);
  if (signed) return blob(s, req, reply, signed.name, signed.digest);
  let principal: Principal;
  try {
    principal = await s.authn.basic(req.headers.authorization);
    notePrincipal(req, principal.arn);
  } catch (e) {
    req.raw.resume();
    if ((e as WharfError).status === 401) reply.header('www-authenticate', `Basic realm="${registryUrl(config, account)}/",service="ecr.amazonaws.com"`);
    throw e;
  }
  const rawPath = req.url.split('?', 1)[0];
  const route = parseOciPath(rawPath);
  if (!route) {
    req.raw.resume();
    throw errors.routeNotFound({ method: req.method, path: rawPath });
  }
  if (!ROUTE_METHODS[route.kind].includes(req.method)) {
    req.raw.resume();
    throw errors.unsupported({ what: `${req.method} is not allowed on ${rawPath}` }, undefined, 405);
  }
  const action = actionFor(route, req.method);
  if (action) {
    try {
      await s.authz.authorize(principal, action, 'name' in route ? arnOf(route.name) : account === principal.accountId ? '*' : arnOf('*'), requestFacts(req));
    } catch (e) {
      req.raw.resume();
      throw e;
    }
  }
  switch (route.kind) {
    case 'base':
      reply.code(200).header('content-type', 'application/json').send('{}');
      return;
    case 'catalog': return catalog(s, req, reply);
    case 'tags': return tags(s, req, reply, route.name);
    case 'manifest': return manifest(s, req, reply, route.name, route.ref, principal);
    case 'uploads': return startUpload(s, req, reply, route.name, async (from) =>
      (await s.authz.decide(principal, 'ecr:GetDownloadUrlForLayer', arnOf(from), requestFacts(req))).decision === 'Allow');
    case 'upload': return upload(s, req, reply, route.name, route.id);
    case 'blob': return blob(s, req, reply, route.name, route.digest);
    case 'referrers': return referrers(s, req, reply, route.name, route.digest);
  }
}
