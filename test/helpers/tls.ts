// Throwaway certificate authorities for TLS tests, made with openssl in a temp dir: a CA and server
// certificates it signs (SAN 127.0.0.1, localhost and whatever names a test needs). Nothing is added
// to the machine's trust store; clients are pointed at caFile (SSL_CERT_FILE, --cert-dir, `ca`).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServerCert {
  certFile: string;
  keyFile: string;
  /** Upper-case hex without leading zeros (peerCertificate strips the zero Node pads an odd-length serial with). */
  serial: string;
  commonName: string;
}

export interface TestCa {
  dir: string;
  /** The CA certificate (PEM), what clients must trust. */
  caFile: string;
  /** A directory holding only ca.crt, for skopeo/podman/buildah `--cert-dir`. */
  certDir: string;
  /** Signs a server certificate for 127.0.0.1, localhost and `names`, into `<dir>/<label>.{crt,key}`. */
  issue(label: string, opts?: { names?: string[]; commonName?: string }): ServerCert;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes a new CA (EC P-256, valid one day) under a fresh temp dir. */
export function makeTestCa(name = 'Wharf Test CA'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-ca-'));
  const caFile = join(dir, 'ca.crt');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', caFile,
    '-days', '1', '-subj', `/CN=${name} ${randomBytes(4).toString('hex')}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  const certDir = join(dir, 'certs.d');
  mkdirSync(certDir);
  copyFileSync(caFile, join(certDir, 'ca.crt'));
  return {
    dir, caFile, certDir,
    issue(label, opts = {}) {
      const commonName = opts.commonName ?? `wharf-test-${label}`;
      const names = ['127.0.0.1', 'localhost', ...(opts.names ?? [])];
      const san = names.map((n) => (/^[0-9.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
      const serial = randomBytes(8).toString('hex').toUpperCase().replace(/^0+/, '') || '1';
      writeFileSync(join(dir, `${label}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n`);
      openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${label}.key`, '-out', `${label}.csr`, '-subj', `/CN=${commonName}`], dir);
      openssl(['x509', '-req', '-in', `${label}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${serial}`, '-days', '1',
        '-extfile', `${label}.ext`, '-out', `${label}.crt`], dir);
      return { certFile: join(dir, `${label}.crt`), keyFile: join(dir, `${label}.key`), serial, commonName };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** What a new TLS connection to `url` is served: the leaf's serial and subject CN, and the response status. */
export async function peerCertificate(url: string, caFile: string, path = '/v2/'): Promise<{ serial: string; commonName: string; status: number }> {
  const agent = new Agent({ ca: readFileSync(caFile), keepAlive: false });
  try {
    return await new Promise((resolve, reject) => {
      const req = request(new URL(path, url), { agent }, (res) => {
        const c = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
        res.resume();
        res.on('end', () => resolve({ serial: c.serialNumber.toUpperCase().replace(/^0+(?=.)/, ''), commonName: String(c.subject.CN), status: res.statusCode ?? 0 }));
      });
      req.on('error', reject);
      req.end();
    });
  } finally {
    agent.destroy();
  }
}
