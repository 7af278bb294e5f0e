// The process logger: pino writing JSON lines asynchronously to stdout (for a collector), or the
// same records turned into short text lines for a terminal (logFormat `auto` picks text on a TTY).
import pino, { type DestinationStream, type Logger } from 'pino';

export type LogFormat = 'auto' | 'text' | 'json';

/** Paths pino blanks in any logged object, whatever a caller passes by mistake. */
const REDACT = ['req.headers.authorization', 'authorization', '*.authorization', 'secretAccessKey', '*.secretAccessKey', 'password', '*.password', 'token', '*.token'];

/**
 * Builds the logger for `format` at `level`, writing to `out` (default: stdout, asynchronously;
 * pino flushes it on exit).
 */
export function createLogger(opts: { level: string; format: LogFormat; out?: DestinationStream; isTTY?: boolean }): Logger {
  const out = opts.out ?? pino.destination({ dest: 1, sync: false });
  const text = opts.format === 'text' || (opts.format === 'auto' && (opts.isTTY ?? process.stdout.isTTY === true));
  return pino({ level: opts.level, redact: REDACT }, text ? textStream(out) : out);
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every pino record has, left out of the text line's key=value tail. */
const BASE = new Set(['level', 'time', 'pid', 'hostname', 'msg']);
const ACCESS = new Set([...BASE, 'method', 'path', 'status', 'bytesIn', 'bytesOut', 'durationMs', 'principal', 'requestId', 'operation', 'aborted']);

/** A destination that rewrites each pino JSON line as text before handing it to `out`. */
export function textStream(out: DestinationStream): DestinationStream {
  return { write: (line: string) => out.write(formatText(line)) };
}

/**
 * One pino JSON line as text: `TIME LEVEL message key=value…`, access lines as
 * `TIME INFO  METHOD PATH STATUS in=B out=B MSms principal=ARN id=REQUEST-ID [op=OP] [aborted]`,
 * error stacks indented on the following lines. Lines that are not JSON pass through.
 */
export function formatText(line: string): string {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(line);
  } catch {
    return line;
  }
  const time = typeof r.time === 'number' ? new Date(r.time).toISOString() : '';
  const level = (LEVELS[r.level as number] ?? String(r.level)).padEnd(5);
  if (r.msg === 'request' || r.msg === 'request aborted by the client') {
    let s = `${time} ${level} ${r.method} ${r.path} ${r.status} in=${r.bytesIn} out=${r.bytesOut} ${r.durationMs}ms principal=${r.principal ?? '-'} id=${r.requestId}`;
    if (r.operation !== undefined) s += ` op=${r.operation}`;
    if (r.aborted) s += ' aborted';
    return s + tail(r, ACCESS) + '\n';
  }
  let s = `${time} ${level} ${r.msg ?? ''}` + tail(r, BASE);
  const err = r.err as { stack?: string } | undefined;
  if (err?.stack) s += '\n    ' + err.stack.split('\n').join('\n    ');
  return s + '\n';
}

function tail(r: Record<string, unknown>, skip: ReadonlySet<string>): string {
  let s = '';
  for (const [k, v] of Object.entries(r)) {
    if (skip.has(k) || v === undefined) continue;
    if (k === 'err' && typeof v === 'object' && v !== null) {
      s += ` err=${JSON.stringify((v as { message?: string }).message ?? '')}`;
      continue;
    }
    s += ` ${k}=${typeof v === 'string' && !/[\s"=]/.test(v) ? v : JSON.stringify(v)}`;
  }
  return s;
}
