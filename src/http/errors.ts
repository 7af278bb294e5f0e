// Renders registered errors for the OCI protocol: `{"errors":[{code,message,detail}]}` with the
// catalogue's status. The ECR renderer (AWS JSON 1.1) will sit beside it and use the same catalogue.
import { errors, WharfError } from '../domain/errors.ts';

export interface RenderedError {
  status: number;
  body: string;
}

/**
 * Maps anything thrown to a registered error: the HTTP framework's own client errors (a malformed
 * request line or header, with a 4xx statusCode) keep their status as RequestRejected; anything else
 * unknown becomes INTERNAL_ERROR (500).
 */
export function toWharfError(e: unknown): WharfError {
  if (e instanceof WharfError) return e;
  const status = (e as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return errors.requestRejected({ reason: String((e as Error).message) }, undefined, status);
  }
  return errors.internal();
}

export function renderOciError(err: WharfError): RenderedError {
  const entry: Record<string, unknown> = { code: err.spec.oci ?? 'UNKNOWN', message: err.message };
  if (err.detail !== undefined) entry.detail = err.detail;
  return { status: err.status, body: JSON.stringify({ errors: [entry] }) };
}
