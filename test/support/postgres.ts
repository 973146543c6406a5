import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * Throwaway PostgreSQL databases for tests and benchmarks: `attest_test_<random>` on the server
 * at 127.0.0.1:5432 (override with ATTEST_TEST_POSTGRES_URL, which must name a maintenance
 * database such as `postgres`). Each is dropped by `drop`; no other database is ever touched.
 */
export const TEST_POSTGRES_ADMIN_URL = process.env['ATTEST_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ThrowawayDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

const withAdmin = async <T>(work: (client: Client) => Promise<T>): Promise<T> => {
  const client = new Client({ connectionString: TEST_POSTGRES_ADMIN_URL, application_name: 'attest-tests' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
};

export const createThrowawayDatabase = async (label = 'test'): Promise<ThrowawayDatabase> => {
  const name = `attest_${label.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(6).toString('hex')}`;
  // The name is built from [a-z0-9_] only, so quoting it is enough.
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(TEST_POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    // WITH (FORCE) (PostgreSQL ≥ 13) ends connections a failed test may have left open.
    drop: () => withAdmin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))),
  };
};
