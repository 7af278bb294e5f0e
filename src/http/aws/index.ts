// The one AWS front door: every AWS API request to `/` is told apart here by wire protocol, then by
// service. AWS JSON 1.1 (an X-Amz-Target header, or the query parameter presigners write) goes to
// the service its target prefix names (ECR today; KMS and ECR Public later); the Query protocol (a
// form-encoded POST, or a GET with Action=) goes to ./query.ts, which picks IAM or STS by Version.
// Every path verifies one SigV4 signature against the chosen service's scope and renders errors
// from the one catalogue, in JSON 1.1 or XML.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/schema.ts';
import { handleEcr } from '../ecr/index.ts';
import { TARGET_PREFIX as ECR_TARGET_PREFIX } from '../ecr/model.ts';
import type { Services } from '../services.ts';
import { handleQuery } from './query.ts';

/** The AWS wire protocols Wharf speaks on `/`. */
export type AwsProtocol = 'json' | 'query';

type Handler = (s: Services, config: Config, req: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** AWS JSON 1.1 services by X-Amz-Target prefix (the part before the dot). */
const JSON_SERVICES: Readonly<Record<string, Handler>> = {
  [ECR_TARGET_PREFIX]: handleEcr,
};

/** A form-encoded body, with or without parameters (botocore adds `; charset=utf-8`, Go v2 and JS v3 do not). */
const FORM = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;
const TARGET_PARAM = /(?:^|&)X-Amz-Target=/;
const ACTION_PARAM = /(?:^|&)Action=/;

/**
 * The protocol of a request to `/` (`/?…`): 'json' when it carries an X-Amz-Target (header or
 * query); else 'query' for a POST whose Content-Type is form-encoded (with or without charset) or a
 * GET with `Action=` in its query; else 'json' for any other POST (answered as ECR answers an
 * unknown target, as before the front door) and undefined otherwise (not an AWS API request).
 */
export function awsProtocolOf(method: string, url: string, headers: FastifyRequest['headers']): AwsProtocol | undefined {
  const q = url.indexOf('?');
  if ((q < 0 ? url : url.slice(0, q)) !== '/') return undefined;
  if (method !== 'POST' && method !== 'GET') return undefined;
  const query = q < 0 ? '' : url.slice(q + 1);
  if (headers['x-amz-target'] !== undefined || TARGET_PARAM.test(query)) return 'json';
  if (method === 'GET') return ACTION_PARAM.test(query) ? 'query' : undefined;
  const type = headers['content-type'];
  return typeof type === 'string' && FORM.test(type) ? 'query' : 'json';
}

/** The JSON 1.1 service an X-Amz-Target names; ECR (which answers UnknownOperationException) for any other. */
function jsonService(req: FastifyRequest): Handler {
  const header = req.headers['x-amz-target'];
  const q = req.url.indexOf('?');
  const target = typeof header === 'string' ? header : q < 0 ? '' : new URLSearchParams(req.url.slice(q + 1)).get('X-Amz-Target') ?? '';
  const dot = target.indexOf('.');
  const prefix = dot < 0 ? target : target.slice(0, dot);
  return Object.hasOwn(JSON_SERVICES, prefix) ? JSON_SERVICES[prefix] : handleEcr;
}

/** Answers a request to `/`: dispatches AWS API requests, and hands anything else to the not-found answer. */
export async function handleAws(s: Services, config: Config, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  switch (awsProtocolOf(req.method, req.url, req.headers)) {
    case 'json': return jsonService(req)(s, config, req, reply);
    case 'query': return handleQuery(s, config, req, reply);
    default: reply.callNotFound();
  }
}
