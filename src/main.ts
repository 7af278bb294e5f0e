// `wharf serve`: bind the port (http, or https with tlsCertFile/tlsKeyFile), build the app with the
// config naming the port really bound, and shut down gracefully on SIGTERM/SIGINT (in-flight
// requests finish; after shutdownTimeoutSeconds the process exits anyway). SIGHUP re-reads the TLS
// files now.
import { buildApp, type App } from './app.ts';
import { withBoundPort } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { ListenError, bindServer, hostPort, type BoundServer } from './http/listen.ts';
import { TlsError, loadTlsPair, watchTls, type TlsPair } from './http/tls.ts';

/** A reason `wharf serve` cannot start (port taken, unusable certificate): one line, no stack. */
export class StartupError extends Error {}

export async function serve(configured: Config): Promise<void> {
  const tlsFiles = configured.tlsCertFile && configured.tlsKeyFile ? { certFile: configured.tlsCertFile, keyFile: configured.tlsKeyFile } : undefined;
  let pair: TlsPair | undefined;
  let bound: BoundServer;
  try {
    pair = tlsFiles ? loadTlsPair(tlsFiles) : undefined;
    bound = await bindServer(configured.host, configured.port, pair);
  } catch (e) {
    if (e instanceof TlsError || e instanceof ListenError) throw new StartupError(e.message);
    throw e;
  }
  const config = withBoundPort(configured, bound.address.port);
  let app: App;
  try {
    app = await buildApp(config, { bound });
    await app.http.ready();
  } catch (e) {
    await bound.close();
    throw e;
  }
  const reloader = tlsFiles && pair ? watchTls(tlsFiles, pair, config.tlsReloadSeconds, app.log, (p) => bound.useCertificate(p)) : undefined;
  app.log.info({
    url: `${bound.tls ? 'https' : 'http'}://${hostPort(bound.address.address, bound.address.port)}`,
    address: bound.address.address, port: bound.address.port,
    publicUrl: config.publicUrl, dataDir: config.dataDir,
    ...(pair ? { certificate: pair.summary } : {}),
  }, 'wharf listening');
  app.startJobs();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      app.log.warn('shutdown timeout reached; exiting with requests still open');
      process.exit(1);
    }, config.shutdownTimeoutSeconds * 1000);
    force.unref();
    reloader?.stop();
    await app.close();
    app.log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (reloader) reloader.check();
    else app.log.info('SIGHUP: no TLS files configured, nothing to reload');
  });
}
