// Presigned blob URLs on /v2/ (what ECR's GetDownloadUrlForLayer hands out): a blob GET carrying
// X-Wharf-Expires and X-Wharf-Signature needs no Authorization header; the signature is the grant.
// Only GET of a blob route honours them; everything else authenticates as usual.
import type { FastifyRequest } from 'fastify';
import type { DownloadSignature } from '../../services/download-urls.ts';
import type { Services } from '../services.ts';
import { queryOf } from './request.ts';
import { parseOciPath } from './routes.ts';

export const EXPIRES_PARAM = 'X-Wharf-Expires';
export const SIGNATURE_PARAM = 'X-Wharf-Signature';

/** `${publicUrl}/v2/<repo>/blobs/<digest>?X-Wharf-Expires=…&X-Wharf-Signature=…` */
export function presignedBlobUrl(publicUrl: string, repo: string, digest: string, sig: DownloadSignature): string {
  return `${publicUrl}/v2/${repo}/blobs/${digest}?${EXPIRES_PARAM}=${sig.expires}&${SIGNATURE_PARAM}=${sig.signature}`;
}

/**
 * The blob a presigned GET may read, after checking its signature (DENIED when altered or expired);
 * undefined when the request is not a GET of a blob carrying a signature, so it authenticates as usual.
 */
export function presignedBlob(s: Services, req: FastifyRequest, rawPath: string): { name: string; digest: string } | undefined {
  if (req.method !== 'GET') return undefined;
  const q = queryOf(req.url);
  const signature = q.get(SIGNATURE_PARAM);
  if (signature === null) return undefined;
  const route = parseOciPath(rawPath);
  if (route?.kind !== 'blob') return undefined;
  s.downloadUrls.verify(route.name, route.digest, q.get(EXPIRES_PARAM) ?? '', signature);
  return route;
}
