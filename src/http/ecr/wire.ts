// AWS JSON 1.1 wire helpers: epoch-second timestamps, absent members omitted, errors rendered from the
// one catalogue as {"__type","message"} with x-amzn-ErrorType.
import { WharfError } from '../../domain/errors.ts';

/** Converts Dates to epoch seconds and drops undefined members, recursively. */
export function toWire(v: unknown): unknown {
  if (v instanceof Date) return v.getTime() / 1000;
  if (Array.isArray(v)) return v.map(toWire);
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toWire(x);
    return out;
  }
  return v;
}

/**
 * The AWS JSON 1.1 rendering of a catalogue error: ServerException is 500, as ECR answers its own
 * failures; another type keeps a catalogue status of 500 or more (ShuttingDown's 503); every other
 * error is 400, as AWS's JSON protocols answer client errors.
 */
export function renderAwsError(err: WharfError): { status: number; type: string; body: string } {
  const type = err.spec.ecr ?? 'ServerException';
  const status = type === 'ServerException' ? 500 : err.status >= 500 ? err.status : 400;
  return { status, type, body: JSON.stringify({ __type: type, message: err.message, ...(err.ecrFields ?? {}) }) };
}
