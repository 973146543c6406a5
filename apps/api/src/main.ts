import 'reflect-metadata';
import { TokenService } from '@attest/auth';
import { ConfigError, loadConfig } from '@attest/config';
import { createApp } from './bootstrap';

const main = async () => {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen({ host: config.http.host, port: config.http.port });
  // One line for the person who just ran `npm start`.
  process.stdout.write(
    `Attest API listening on http://${config.http.host}:${config.http.port} (store: ${config.store}, data: ${config.dataDir})\n`,
  );
  if (config.mode === 'dev') {
    // Dev mode only: a short-lived demo token so the API can be tried at once.
    const token = await app.get(TokenService).mint({ role: 'operator', id: 'demo-operator' }, { ttlSeconds: 3600 });
    process.stdout.write(
      `Dev mode. A demo operator token (1 h):\n  export TOKEN=${token}\n` +
        `  curl -H "Authorization: Bearer $TOKEN" http://${config.http.host}:${config.http.port}/health/ready\n`,
    );
  }
};

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
