import 'reflect-metadata';
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
};

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
