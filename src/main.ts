// `wharf serve`: build the app, listen, and shut down gracefully on SIGTERM/SIGINT (in-flight
// requests finish; after shutdownTimeoutSeconds the process exits anyway).
import { buildApp } from './app.ts';
import type { Config } from './config/schema.ts';

export async function serve(config: Config): Promise<void> {
  const app = await buildApp(config);
  await app.http.listen({ host: config.host, port: config.port });
  const addr = app.http.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  app.log.info({ url: `http://${config.host}:${port}`, publicUrl: config.publicUrl, dataDir: config.dataDir }, 'wharf listening');
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
    await app.close();
    app.log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
