// The process logger: pino writing JSON lines asynchronously to stdout (for a collector), or the
// same records turned into short text lines for a terminal (logFormat `auto` picks text on a TTY).
import { writeSync } from 'node:fs';
import pino, { type DestinationStream, type Logger } from 'pino';

export type LogFormat = 'auto' | 'text' | 'json';

/**
 * Marks a destination whose write() takes several whole lines at once (the access log writes its
 * lines in batches to such a destination, and one line per write to any other).
 */
export const MANY_LINES = Symbol('wharf.manyLines');

/** Paths pino blanks in any logged object, whatever a caller passes by mistake. */
const REDACT = ['req.headers.authorization', 'authorization', '*.authorization', 'secretAccessKey', '*.secretAccessKey', 'password', '*.password', 'token', '*.token'];

/**
 * Builds the logger for `format` at `level`, writing to `out` (default: stdout, asynchronously, the
 * lines of one event-loop turn in one write; flushed on exit).
 */
export function createLogger(opts: { level: string; format: LogFormat; out?: DestinationStream; isTTY?: boolean }): Logger {
  const out = opts.out ?? coalescingStdout();
  const text = opts.format === 'text' || (opts.format === 'auto' && (opts.isTTY ?? process.stdout.isTTY === true));
  return pino({ level: opts.level, redact: REDACT }, text ? textStream(out) : out);
}

/** Lines not yet handed to stdout, by stream; written synchronously if the process exits first. */
const unflushed = new Set<{ pending: string }>();
let exitHook = false;

/** Longest a line waits before it is written, and the size at which lines are written at once. */
const FLUSH_MS = 10;
const FLUSH_BYTES = 64 * 1024;

/**
 * stdout through pino's asynchronous writer, with the info lines of up to FLUSH_MS joined into one
 * write (one access line per request would otherwise be one write(2) each, a real share of a
 * manifest HEAD's cost); a warning or error is handed over at once. Lines still pending when the
 * process exits are written synchronously.
 */
function coalescingStdout(): DestinationStream {
  const dest = pino.destination({ dest: 1, sync: false });
  const state = { pending: '' };
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const s = state.pending;
    state.pending = '';
    unflushed.delete(state);
    if (s) dest.write(s);
  };
  if (!exitHook) {
    exitHook = true;
    // Runs after pino's own exit flush of `dest`, so these (newer) lines still come last.
    process.once('exit', () => {
      for (const st of unflushed) if (st.pending) writeSync(1, st.pending);
    });
  }
  return {
    [MANY_LINES]: true,
    write(s: string) {
      state.pending += s;
      // Warnings and errors (a generated root key, a full disk, ...) go out at once, with whatever
      // waited before them; only info and below wait for the timer.
      if (state.pending.length >= FLUSH_BYTES || urgent(s)) flush();
      else if (!timer) {
        unflushed.add(state);
        timer = setTimeout(flush, FLUSH_MS);
        timer.unref();
      }
    },
  } as DestinationStream;
}

/** True for a warn, error or fatal line, in pino's JSON (`{"level":40`...) or as formatText writes it. */
export function urgent(line: string): boolean {
  if (line.startsWith('{"level":')) return line.charCodeAt(9) >= 0x34; // '4' and up: 40, 50, 60
  const space = line.indexOf(' ');
  const level = line.slice(space + 1, space + 6);
  return level === 'WARN ' || level === 'ERROR' || level === 'FATAL';
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every pino record has, left out of the text line's key=value tail. */
const BASE = new Set(['level', 'time', 'pid', 'hostname', 'msg']);
const ACCESS = new Set([...BASE, 'method', 'path', 'status', 'bytesIn', 'bytesOut', 'durationMs', 'principal', 'requestId', 'operation', 'aborted']);

/** A destination that rewrites each pino JSON line as text before handing it to `out` (one line or several per write). */
function textStream(out: DestinationStream): DestinationStream {
  const many = (out as { [MANY_LINES]?: boolean })[MANY_LINES] === true;
  return {
    [MANY_LINES]: many,
    write(text: string) {
      let i = text.indexOf('\n');
      if (i < 0 || i === text.length - 1) return void out.write(formatText(text));
      let from = 0;
      for (; i >= 0; from = i + 1, i = text.indexOf('\n', from)) out.write(formatText(text.slice(from, i + 1)));
      if (from < text.length) out.write(formatText(text.slice(from)));
    },
  } as DestinationStream;
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
