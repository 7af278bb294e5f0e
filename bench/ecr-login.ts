// Logs in to Wharf the ECR way (SigV4-signed GetAuthorizationToken) without the AWS SDK, for the benchmark client.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Client } from './http.ts';

export const BENCH_REGION = 'us-east-1';
const SERVICE = 'ecr';
const TARGET = 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken';

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}

/** A fresh root access key for this run, handed to Wharf through WHARF_ROOT_ACCESS_KEY_ID / _SECRET_ACCESS_KEY. */
export function newAccessKey(): AccessKey {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return {
    accessKeyId: `AKIA${Array.from(randomBytes(16), (b) => alphabet[b % 32]).join('')}`,
    secretAccessKey: randomBytes(30).toString('base64').replace(/[+/]/g, 'A'),
  };
}

const hex = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();

/** SigV4 headers for a POST / with a JSON 1.1 body (header form, as the AWS SDKs send it). */
export function sign(key: AccessKey, host: string, target: string, body: string, now = new Date()): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    host,
    'x-amz-date': amzDate,
    'x-amz-target': target,
  };
  const names = Object.keys(headers).sort();
  const canonical = ['POST', '/', '', ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), hex(body)].join('\n');
  const scope = `${date}/${BENCH_REGION}/${SERVICE}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, hex(canonical)].join('\n');
  const kSigning = hmac(hmac(hmac(hmac(`AWS4${key.secretAccessKey}`, date), BENCH_REGION), SERVICE), 'aws4_request');
  const signature = createHmac('sha256', kSigning).update(toSign).digest('hex');
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${key.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

/**
 * GetAuthorizationToken, then sets the client's Authorization (Basic base64("AWS:<token>")) and the user:password
 * that skopeo takes. Every later request, hey run and skopeo call made through the client carries it.
 */
export async function ecrLogin(client: Client, key: AccessKey): Promise<void> {
  const body = '{}';
  const host = new URL(client.baseUrl).host;
  const res = await client.request('POST', '/', { headers: sign(key, host, TARGET, body), body, expect: [200] });
  const out = JSON.parse(res.body.toString('utf8')) as { authorizationData?: { authorizationToken?: string }[] };
  const token = out.authorizationData?.[0]?.authorizationToken;
  if (!token) throw new Error(`POST / (${TARGET}) answered without authorizationData[0].authorizationToken: ${res.body.toString('utf8').slice(0, 300)}`);
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  client.authorization = `Basic ${token}`;
  client.credentials = decoded; // "AWS:<password>"
}
