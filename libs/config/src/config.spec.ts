import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('defaults to the embedded store under ./data', () => {
    const config = loadConfig({});
    expect(config.store).toBe('sqlite');
    expect(config.sqlite.eventsPath).toMatch(/data\/events\.sqlite$/);
    expect(config.sqlite.synchronous).toBe('FULL');
  });

  it('names the missing URL when a server store is chosen', () => {
    expect(() => loadConfig({ ATTEST_STORE: 'postgres' })).toThrow(/ATTEST_POSTGRES_URL: is required/);
    expect(() => loadConfig({ ATTEST_STORE: 'kurrentdb', ATTEST_KURRENTDB_URL: 'http://x' })).toThrow(/ATTEST_KURRENTDB_URL: must be a kurrentdb/);
  });

  it('rejects an unknown store with a clear error', () => {
    const error = (() => {
      try {
        loadConfig({ ATTEST_STORE: 'mongo' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]).toMatch(/^ATTEST_STORE:/);
  });

  it('puts read models in PostgreSQL with the PostgreSQL store', () => {
    expect(loadConfig({ ATTEST_STORE: 'postgres', ATTEST_POSTGRES_URL: 'postgres://localhost/x' }).readModels).toBe('postgres');
  });

  it('keeps subject keys where every process of the deployment can reach them', () => {
    const url = 'postgres://localhost/x';
    expect(loadConfig({}).keyStore).toBe('sqlite');
    expect(loadConfig({ ATTEST_STORE: 'postgres', ATTEST_POSTGRES_URL: url }).keyStore).toBe('postgres');
    expect(loadConfig({ ATTEST_STORE: 'postgres', ATTEST_POSTGRES_URL: url, ATTEST_READ_MODELS: 'sqlite' }).keyStore).toBe('postgres');
    const kurrent = { ATTEST_STORE: 'kurrentdb', ATTEST_KURRENTDB_URL: 'kurrentdb://localhost:2113?tls=false' };
    expect(loadConfig({ ...kurrent, ATTEST_READ_MODELS: 'postgres', ATTEST_POSTGRES_URL: url }).keyStore).toBe('postgres');
    expect(loadConfig(kurrent).keyStore).toBe('sqlite');
    // The embedded store is one process: its keys stay in their SQLite file.
    expect(loadConfig({ ATTEST_READ_MODELS: 'postgres', ATTEST_POSTGRES_URL: url }).keyStore).toBe('sqlite');
  });

  it('runs projections on a worker thread with the embedded store, inline or external with server stores', () => {
    const url = 'postgres://localhost/x';
    expect(loadConfig({}).projections).toBe('worker');
    expect(loadConfig({ ATTEST_PROJECTIONS: 'inline' }).projections).toBe('inline');
    expect(loadConfig({ ATTEST_STORE: 'postgres', ATTEST_POSTGRES_URL: url }).projections).toBe('inline');
    expect(loadConfig({ ATTEST_READ_MODELS: 'postgres', ATTEST_POSTGRES_URL: url }).projections).toBe('inline');
    expect(loadConfig({ ATTEST_STORE: 'postgres', ATTEST_POSTGRES_URL: url, ATTEST_PROJECTIONS: 'external' }).projections).toBe('external');
    // The worker follows the embedded log and writes SQLite read models; the embedded store has no projector.
    expect(() => loadConfig({ ATTEST_STORE: 'postgres', ATTEST_POSTGRES_URL: url, ATTEST_PROJECTIONS: 'worker' })).toThrow(/ATTEST_PROJECTIONS: worker is for the embedded store/);
    expect(() => loadConfig({ ATTEST_READ_MODELS: 'postgres', ATTEST_POSTGRES_URL: url, ATTEST_PROJECTIONS: 'worker' })).toThrow(/ATTEST_PROJECTIONS: worker is for the embedded store/);
    expect(() => loadConfig({ ATTEST_PROJECTIONS: 'external' })).toThrow(/ATTEST_PROJECTIONS: the embedded store runs its projections in its own process/);
    expect(loadConfig({}).projectionWorker).toBeUndefined();
  });

  it('lets live projections linger only on a thread that also serves requests, unless told', () => {
    expect(loadConfig({}).projectionLingerMs).toBe(0);
    expect(loadConfig({ ATTEST_PROJECTIONS: 'inline' }).projectionLingerMs).toBe(5);
    expect(loadConfig({ ATTEST_STORE: 'postgres', ATTEST_POSTGRES_URL: 'postgres://localhost/x' }).projectionLingerMs).toBe(5);
    expect(loadConfig({ ATTEST_PROJECTION_LINGER_MS: '3' }).projectionLingerMs).toBe(3);
    expect(() => loadConfig({ ATTEST_PROJECTION_LINGER_MS: '101' })).toThrow(/ATTEST_PROJECTION_LINGER_MS/);
  });

  it('configures the Merkle log: origin, signing key under the data dir, checkpoint cadence', () => {
    const config = loadConfig({ ATTEST_DATA_DIR: '/tmp/x' });
    expect(config.audit).toEqual({
      origin: 'attest.local/log',
      signingKeyPath: '/tmp/x/keys/log-signing-key.pem',
      createSigningKey: true,
      checkpointEveryEvents: 1_000,
      checkpointIntervalMs: 60_000,
    });
    expect(loadConfig({ ATTEST_MODE: 'production', ATTEST_JWT_KEYS: 'k:x', ATTEST_KEKS: 'k:y' }).audit.createSigningKey).toBe(false);
    expect(() => loadConfig({ ATTEST_LOG_ORIGIN: 'has space' })).toThrow(/ATTEST_LOG_ORIGIN/);
    expect(() => loadConfig({ ATTEST_CHECKPOINT_EVERY_EVENTS: '0' })).toThrow(/ATTEST_CHECKPOINT_EVERY_EVENTS/);
  });
});

describe('loadConfig: token keys', () => {
  it('refuses production mode without signing keys', () => {
    expect(() => loadConfig({ ATTEST_MODE: 'production' })).toThrow(/ATTEST_JWT_KEYS: is required in production/);
  });
});

describe('loadConfig: personal-data encryption', () => {
  it('can be turned off only in test mode (to measure its cost)', () => {
    expect(loadConfig({ ATTEST_MODE: 'test', ATTEST_PII_ENCRYPTION: 'off' }).piiEncryption).toBe(false);
    expect(() => loadConfig({ ATTEST_PII_ENCRYPTION: 'off' })).toThrow(/ATTEST_PII_ENCRYPTION: can only be off in test mode/);
    expect(loadConfig({}).piiEncryption).toBe(true);
  });
});
