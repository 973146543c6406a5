import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { loadConfig } from '@attest/config';

/**
 * No Docker engine runs in CI, so the deployment files are checked here: parsed with `yaml`
 * (anchors and merge keys resolved as Compose does) and held against what the app and
 * KurrentDB 25.x need.
 */
const root = join(__dirname, '..', '..');

const healthcheck = z.object({
  test: z.union([z.array(z.string()).min(2), z.string().min(1)]),
  interval: z.string(),
  timeout: z.string(),
  retries: z.number().int().positive(),
});
const service = z.object({
  image: z.string().optional(),
  build: z.unknown().optional(),
  command: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.string()).optional(),
  ports: z.array(z.string()).optional(),
  depends_on: z.record(z.string(), z.object({ condition: z.enum(['service_healthy', 'service_started']) })).optional(),
  healthcheck,
});
const composeFile = z.object({ services: z.record(z.string(), service) });
type Service = z.infer<typeof service>;

const load = (file: string) => {
  const document = parseDocument(readFileSync(join(root, file), 'utf8'), { merge: true });
  expect(document.errors).toEqual([]);
  return composeFile.parse(document.toJS({ maxAliasCount: 100 }));
};
const env = (s: Service | undefined): Record<string, string> => s?.environment ?? {};
const hostPorts = (services: Record<string, Service>) => Object.values(services).flatMap((s) => (s.ports ?? []).map((p) => p.split(':')[0]));

describe('docker-compose.yml (3-node KurrentDB cluster, PostgreSQL, API, projector)', () => {
  const { services } = load('docker-compose.yml');
  const nodes = ['kurrentdb-1', 'kurrentdb-2', 'kurrentdb-3'];

  it('has every service, each with a health check', () => {
    expect(Object.keys(services).sort()).toEqual([...nodes, 'api', 'postgres', 'projector'].sort());
    for (const [name, s] of Object.entries(services)) expect({ name, healthcheck: s.healthcheck.test.length > 0 }).toEqual({ name, healthcheck: true });
  });

  it('configures the KurrentDB nodes as one cluster with the 25.x settings names', () => {
    const replicationIps = nodes.map((n) => env(services[n])['KURRENTDB_REPLICATION_IP']);
    expect(new Set(replicationIps).size).toBe(3);
    nodes.forEach((name) => {
      const node = services[name];
      const e = env(node);
      expect(node?.image).toMatch(/^kurrentplatform\/kurrentdb:\d+\.\d+/);
      expect(e).toMatchObject({ KURRENTDB_CLUSTER_SIZE: '3', KURRENTDB_DISCOVER_VIA_DNS: 'false' });
      // Gossip seeds: exactly the other two nodes' replication addresses.
      const others = replicationIps.filter((ip) => ip !== e['KURRENTDB_REPLICATION_IP']).map((ip) => `${ip}:2113`);
      expect(e['KURRENTDB_GOSSIP_SEED']?.split(',').sort()).toEqual(others.sort());
      // Clients are told the port published on the host for this node.
      expect(node?.ports).toEqual([`${e['KURRENTDB_ADVERTISE_NODE_PORT_TO_CLIENT_AS']}:2113`]);
      // Removed settings (25.x refuses to start) and the legacy prefix are absent.
      for (const key of Object.keys(e)) {
        expect(key).not.toMatch(/INT_IP|EXT_IP|INT_HTTP|EXT_HTTP|INT_TCP|EXT_TCP/);
        expect(key.startsWith('KURRENTDB_')).toBe(true);
      }
    });
  });

  it('gives the API and the projector a configuration the app accepts, pointing at services of this file', () => {
    for (const name of ['api', 'projector']) {
      const e = env(services[name]);
      const config = loadConfig(e);
      expect(config).toMatchObject({ store: 'kurrentdb', readModels: 'postgres', mode: 'production' });
      for (const node of nodes) expect(config.kurrentdbUrl).toContain(`${node}:2113`);
      expect(new URL(config.postgresUrl ?? '').hostname).toBe('postgres');
      expect(e['HOST']).toBe('0.0.0.0');
      // Its health check asks the port it listens on.
      expect(JSON.stringify(services[name]?.healthcheck.test)).toContain(`127.0.0.1:${e['PORT']}/health/ready`);
      expect(services[name]?.depends_on?.['postgres']?.condition).toBe('service_healthy');
      for (const node of nodes) expect(services[name]?.depends_on?.[node]?.condition).toBe('service_healthy');
    }
    expect(services['api']?.command).toEqual(['node', 'dist/apps/api/src/main.js']);
    expect(services['projector']?.command).toEqual(['node', 'dist/apps/projector/src/main.js']);
    const postgres = env(services['postgres']);
    const url = new URL(env(services['api'])['ATTEST_POSTGRES_URL'] ?? '');
    expect([url.username, url.password, url.pathname.slice(1)]).toEqual([postgres['POSTGRES_USER'], postgres['POSTGRES_PASSWORD'], postgres['POSTGRES_DB']]);
  });

  it('publishes each host port once', () => {
    const ports = hostPorts(services);
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports).toEqual(expect.arrayContaining(['2111', '2112', '2113', '3000', '5433']));
  });
});

describe('docker-compose.dev.yml (single-node development)', () => {
  const { services } = load('docker-compose.dev.yml');

  it('runs one KurrentDB node and PostgreSQL, with health checks, on the ports the README names', () => {
    expect(Object.keys(services).sort()).toEqual(['kurrentdb', 'postgres']);
    expect(env(services['kurrentdb'])).toMatchObject({ KURRENTDB_CLUSTER_SIZE: '1' });
    expect(services['kurrentdb']?.ports).toEqual(['2113:2113']);
    expect(services['postgres']?.ports).toEqual(['5433:5432']);
    const config = loadConfig({
      ATTEST_STORE: 'kurrentdb',
      ATTEST_KURRENTDB_URL: 'kurrentdb://127.0.0.1:2113?tls=false',
      ATTEST_READ_MODELS: 'postgres',
      ATTEST_POSTGRES_URL: `postgres://${env(services['postgres'])['POSTGRES_USER']}:${env(services['postgres'])['POSTGRES_PASSWORD']}@127.0.0.1:5433/attest`,
    });
    expect(config.store).toBe('kurrentdb');
  });
});
