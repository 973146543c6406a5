import { join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * All configuration, from the environment, validated once at start-up with one zod schema.
 * A missing or malformed value stops the process with a message naming the variable.
 */
const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// or postgresql:// connection string');
const kurrentUrl = z
  .string()
  .regex(/^(kurrentdb|kdb|esdb|eventstoredb)(\+discover)?:\/\/.+/, 'must be a kurrentdb:// (or esdb://) connection string');

const environment = z
  .object({
    ATTEST_MODE: z.enum(['dev', 'production', 'test']).default('dev'),
    ATTEST_STORE: z.enum(['sqlite', 'postgres', 'kurrentdb']).default('sqlite'),
    ATTEST_DATA_DIR: z.string().min(1).default('./data'),
    ATTEST_SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('FULL'),
    ATTEST_POSTGRES_URL: postgresUrl.optional(),
    ATTEST_KURRENTDB_URL: kurrentUrl.optional(),
    /** Where read models live when the events are in KurrentDB. */
    ATTEST_READ_MODELS: z.enum(['sqlite', 'postgres']).optional(),
    HOST: z.string().default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ATTEST_BODY_LIMIT_BYTES: z.coerce.number().int().min(1_024).max(50 * 1024 * 1024).default(64 * 1024),
    ATTEST_READ_YOUR_WRITES_TIMEOUT_MS: z.coerce.number().int().min(0).max(30_000).default(5_000),
    /** Token signing keys, `kid:base64url-secret[,kid2:secret2]` (≥ 32 bytes each). Required outside dev mode. */
    ATTEST_JWT_KEYS: z.string().min(1).optional(),
    /** Key-encryption keys for personal data, `kid:base64url-32-bytes[,old-kid:…]`, first active. Required outside dev mode. */
    ATTEST_KEKS: z.string().min(1).optional(),
    /** `off` exists only to measure the cost of encryption (benchmarks); refused outside test mode. */
    ATTEST_PII_ENCRYPTION: z.enum(['on', 'off']).default('on'),
    ATTEST_JWT_ACTIVE_KID: z.string().min(1).optional(),
    /**
     * Where the projections run. `worker` (the default with the embedded store and SQLite read
     * models): on a worker thread of the API process, off the event loop that serves requests
     * (docs/adr/0021); `inline`: on the API's event loop; `external`: apps/projector does
     * (server stores).
     */
    ATTEST_PROJECTIONS: z.enum(['inline', 'external', 'worker']).optional(),
    /** Live projections gather appends for this long before a read-model transaction (throughput vs. freshness). */
    ATTEST_PROJECTION_LINGER_MS: z.coerce.number().int().min(0).max(100).optional(),
    /** Readiness fails when a projection is more than this many events behind the head. */
    ATTEST_READY_LAG_EVENTS_MAX: z.coerce.number().int().min(0).default(10_000),
    /** Write requests (POST/PUT/PATCH/DELETE) per token per minute; 0 turns the limit off. */
    ATTEST_RATE_LIMIT_WRITES_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(600),
    ATTEST_JWT_ISSUER: z.string().min(1).default('attest'),
    ATTEST_JWT_AUDIENCE: z.string().min(1).default('attest-api'),
    /**
     * Ledger (issue 4). Tip limits per currency, `CUR:min..max` in decimal strings with the
     * currency's exponent (`CNY:0.01..200.00[,USD:…]`); parsed by @attest/ledger at start-up.
     */
    ATTEST_TIP_LIMITS: z.string().min(1).default('CNY:0.01..200.00'),
    /** Platform commission on tips and accepted friend-request fees, in basis points (1/100 %). */
    ATTEST_COMMISSION_BASIS_POINTS: z.coerce.number().int().min(0).max(10_000).default(500),
    /** How long a friend-request fee stays held before it may be expired (returned to the sender). */
    ATTEST_FRIEND_REQUEST_HOLD_SECONDS: z.coerce.number().int().min(1).max(365 * 24 * 3600).default(7 * 24 * 3600),
    /** The Merkle log's identity (the checkpoint origin line and signed-note key name). */
    ATTEST_LOG_ORIGIN: z
      .string()
      .regex(/^[\x21-\x7e]{1,200}$/, 'must be 1-200 printable ASCII characters without spaces')
      .default('attest.local/log'),
    /** Ed25519 PKCS#8 PEM key that signs checkpoints; default <data dir>/keys/log-signing-key.pem (created in dev/test). */
    ATTEST_LOG_SIGNING_KEY_FILE: z.string().min(1).optional(),
    /** A checkpoint is signed once this many leaves are not yet covered by one… */
    ATTEST_CHECKPOINT_EVERY_EVENTS: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
    /** …or once this much time has passed since the last one, if anything new was logged. */
    ATTEST_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(100).max(86_400_000).default(60_000),
  })
  .superRefine((env, ctx) => {
    if (env.ATTEST_STORE === 'postgres' && !env.ATTEST_POSTGRES_URL)
      ctx.addIssue({ code: 'custom', path: ['ATTEST_POSTGRES_URL'], message: 'is required when ATTEST_STORE=postgres' });
    if (env.ATTEST_STORE === 'kurrentdb' && !env.ATTEST_KURRENTDB_URL)
      ctx.addIssue({ code: 'custom', path: ['ATTEST_KURRENTDB_URL'], message: 'is required when ATTEST_STORE=kurrentdb' });
    if (env.ATTEST_PII_ENCRYPTION === 'off' && env.ATTEST_MODE !== 'test')
      ctx.addIssue({ code: 'custom', path: ['ATTEST_PII_ENCRYPTION'], message: 'can only be off in test mode (benchmarks): personal data is always encrypted' });
    if (env.ATTEST_MODE === 'production' && !env.ATTEST_KEKS)
      ctx.addIssue({ code: 'custom', path: ['ATTEST_KEKS'], message: 'is required in production mode (personal data is encrypted with it)' });
    if (env.ATTEST_MODE === 'production' && !env.ATTEST_JWT_KEYS)
      ctx.addIssue({ code: 'custom', path: ['ATTEST_JWT_KEYS'], message: 'is required in production mode (no built-in secret is ever used)' });
    if (env.ATTEST_STORE === 'sqlite' && env.ATTEST_PROJECTIONS === 'external')
      ctx.addIssue({ code: 'custom', path: ['ATTEST_PROJECTIONS'], message: 'the embedded store runs its projections in its own process (worker or inline)' });
    if (env.ATTEST_PROJECTIONS === 'worker' && (env.ATTEST_STORE !== 'sqlite' || env.ATTEST_READ_MODELS === 'postgres'))
      ctx.addIssue({ code: 'custom', path: ['ATTEST_PROJECTIONS'], message: 'worker is for the embedded store with SQLite read models (server stores use apps/projector: external)' });
    if (env.ATTEST_READ_MODELS === 'postgres' && !env.ATTEST_POSTGRES_URL)
      ctx.addIssue({ code: 'custom', path: ['ATTEST_POSTGRES_URL'], message: 'is required when ATTEST_READ_MODELS=postgres' });
  });

export type Environment = z.output<typeof environment>;

/** Projection linger on a thread that also serves requests (see AttestConfig.projectionLingerMs). */
const PROJECTION_LINGER_MS_SHARED_THREAD = 5;

export interface AttestConfig {
  mode: Environment['ATTEST_MODE'];
  store: Environment['ATTEST_STORE'];
  dataDir: string;
  sqlite: { eventsPath: string; readModelsPath: string; keysPath: string; synchronous: 'FULL' | 'NORMAL' };
  keks: string | undefined;
  piiEncryption: boolean;
  postgresUrl: string | undefined;
  kurrentdbUrl: string | undefined;
  readModels: 'sqlite' | 'postgres';
  /**
   * Where per-subject data keys live. `postgres` (schema `attest_keys` of ATTEST_POSTGRES_URL)
   * whenever the deployment has a PostgreSQL database every process shares — the PostgreSQL
   * store, or KurrentDB with read models in PostgreSQL — so that every API process and the
   * projector seal and open with the same keys and see every erasure; `sqlite`
   * (`<data dir>/keys/subject-keys.sqlite`, one process) otherwise.
   */
  keyStore: 'sqlite' | 'postgres';
  http: { host: string; port: number; bodyLimitBytes: number; writesPerMinutePerToken: number };
  logLevel: Environment['LOG_LEVEL'];
  readYourWritesTimeoutMs: number;
  readyLagEventsMax: number;
  projections: 'inline' | 'external' | 'worker';
  /**
   * How long a live projection waits after a wake-up before reading, so that appends of the next
   * few milliseconds share its batch. On the API thread (inline, external) 5 ms; on the projection
   * worker 0: it already batches whatever arrived while it was busy, and a linger there only adds
   * to every read-your-writes wait (credit reads 3,172 → 4,607/s, p50 20.6 → 12.8 ms, ADR 0021).
   */
  projectionLingerMs: number;
  /**
   * Set only inside the projection worker thread (ATTEST_PROJECTIONS=worker), never from the
   * environment: this context runs the projections over a follower view of the log, visible up
   * to this position at start, and starts nothing else that writes events.
   */
  projectionWorker?: { visibleUpTo: bigint };
  auth: { keys: string | undefined; activeKid: string | undefined; issuer: string; audience: string };
  ledger: { tipLimits: string; commissionBasisPoints: number; friendRequestHoldSeconds: number };
  audit: {
    origin: string;
    signingKeyPath: string;
    /** Generate the signing key when the file is missing: dev and test only, never production. */
    createSigningKey: boolean;
    checkpointEveryEvents: number;
    checkpointIntervalMs: number;
  };
  env: Environment;
}

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export const loadConfig = (source: Record<string, string | undefined> = process.env): AttestConfig => {
  const parsed = environment.safeParse(source);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const env = parsed.data;
  const dataDir = resolve(env.ATTEST_DATA_DIR);
  const readModels = env.ATTEST_READ_MODELS ?? (env.ATTEST_STORE === 'postgres' ? 'postgres' : 'sqlite');
  const projections = env.ATTEST_PROJECTIONS ?? (env.ATTEST_STORE === 'sqlite' && readModels === 'sqlite' ? 'worker' : 'inline');
  return {
    mode: env.ATTEST_MODE,
    store: env.ATTEST_STORE,
    dataDir,
    sqlite: {
      eventsPath: join(dataDir, 'events.sqlite'),
      readModelsPath: join(dataDir, 'read-models.sqlite'),
      keysPath: join(dataDir, 'keys', 'subject-keys.sqlite'),
      synchronous: env.ATTEST_SQLITE_SYNCHRONOUS,
    },
    keks: env.ATTEST_KEKS,
    piiEncryption: env.ATTEST_PII_ENCRYPTION === 'on',
    postgresUrl: env.ATTEST_POSTGRES_URL,
    kurrentdbUrl: env.ATTEST_KURRENTDB_URL,
    readModels,
    keyStore: env.ATTEST_STORE === 'postgres' || (env.ATTEST_STORE === 'kurrentdb' && readModels === 'postgres') ? 'postgres' : 'sqlite',
    http: {
      host: env.HOST,
      port: env.PORT,
      bodyLimitBytes: env.ATTEST_BODY_LIMIT_BYTES,
      writesPerMinutePerToken: env.ATTEST_RATE_LIMIT_WRITES_PER_MINUTE,
    },
    logLevel: env.LOG_LEVEL,
    readYourWritesTimeoutMs: env.ATTEST_READ_YOUR_WRITES_TIMEOUT_MS,
    readyLagEventsMax: env.ATTEST_READY_LAG_EVENTS_MAX,
    projections,
    projectionLingerMs: env.ATTEST_PROJECTION_LINGER_MS ?? (projections === 'worker' ? 0 : PROJECTION_LINGER_MS_SHARED_THREAD),
    auth: { keys: env.ATTEST_JWT_KEYS, activeKid: env.ATTEST_JWT_ACTIVE_KID, issuer: env.ATTEST_JWT_ISSUER, audience: env.ATTEST_JWT_AUDIENCE },
    ledger: {
      tipLimits: env.ATTEST_TIP_LIMITS,
      commissionBasisPoints: env.ATTEST_COMMISSION_BASIS_POINTS,
      friendRequestHoldSeconds: env.ATTEST_FRIEND_REQUEST_HOLD_SECONDS,
    },
    audit: {
      origin: env.ATTEST_LOG_ORIGIN,
      signingKeyPath: env.ATTEST_LOG_SIGNING_KEY_FILE ? resolve(env.ATTEST_LOG_SIGNING_KEY_FILE) : join(dataDir, 'keys', 'log-signing-key.pem'),
      createSigningKey: env.ATTEST_MODE !== 'production',
      checkpointEveryEvents: env.ATTEST_CHECKPOINT_EVERY_EVENTS,
      checkpointIntervalMs: env.ATTEST_CHECKPOINT_INTERVAL_MS,
    },
    env,
  };
};
