// The TLS certificate and key Wharf serves, read from tlsCertFile/tlsKeyFile, and their reload:
// the files are checked every tlsReloadSeconds (and on SIGHUP); a new pair that loads is handed to
// the server (new connections get it, open ones keep theirs); a broken new pair is logged and the
// old one kept.
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';

export interface TlsPair {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** sha256 over both files, to notice a change. */
  readonly fingerprint: string;
  /** What the log says about the leaf certificate. */
  readonly summary: { subject: string; serialNumber: string; validTo: string };
}

/** The files of a pair, as configured. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** A one-line reason a certificate or key cannot be used (the message names the file). */
export class TlsError extends Error {}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TlsError(`cannot read TLS ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Reads and checks a certificate/key pair: both files readable, PEM that OpenSSL accepts, and a key
 * that matches the certificate. Throws TlsError with a one-line message otherwise.
 */
export function loadTlsPair(files: TlsFiles): TlsPair {
  const cert = read(files.certFile, 'certificate');
  const key = read(files.keyFile, 'key');
  let summary: TlsPair['summary'];
  try {
    const x = new X509Certificate(cert);
    summary = { subject: x.subject.replace(/\n/g, ', '), serialNumber: x.serialNumber, validTo: x.validTo };
  } catch (e) {
    throw new TlsError(`TLS certificate ${files.certFile} is not a PEM certificate: ${oneLine(e)}`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    throw new TlsError(`TLS key ${files.keyFile} cannot be used with ${files.certFile}: ${oneLine(e)}`);
  }
  const fingerprint = createHash('sha256').update(cert).update('\0').update(key).digest('hex');
  return { cert, key, fingerprint, summary };
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n', 1)[0];
}

export interface TlsReloader {
  /** Checks the files now (what SIGHUP does), swapping in a changed valid pair before returning. */
  check(): void;
  stop(): void;
}

/**
 * Watches `files` and gives a changed, valid pair to `use` (BoundServer.useCertificate). `current` is
 * the pair served at start. A broken pair is logged once per distinct failure and the served one kept.
 */
export function watchTls(files: TlsFiles, current: TlsPair, intervalSeconds: number, log: Logger, use: (pair: TlsPair) => void): TlsReloader {
  let served = current.fingerprint;
  let lastBroken: string | undefined;
  const check = () => {
    let pair: TlsPair;
    try {
      pair = loadTlsPair(files);
    } catch (e) {
      const what = e instanceof Error ? e.message : String(e);
      if (what !== lastBroken) log.error({ reason: what }, 'new TLS certificate not loaded; still serving the previous one');
      lastBroken = what;
      return;
    }
    lastBroken = undefined;
    if (pair.fingerprint === served) return;
    use(pair);
    served = pair.fingerprint;
    log.info({ certificate: pair.summary }, 'TLS certificate reloaded');
  };
  const timer = intervalSeconds > 0 ? setInterval(check, intervalSeconds * 1000) : undefined;
  timer?.unref();
  return { check, stop: () => clearInterval(timer) };
}
