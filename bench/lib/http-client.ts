import { Pool } from 'undici';

export interface Reply {
  status: number;
  body: string;
}

/**
 * The load generator's HTTP client: undici's connection pool, `connections` keep-alive
 * connections to one server, no pipelining (one request in flight per connection, like a
 * browser or a partner's client). It replaced node:http's Agent, which cost the load generator
 * ~115–140 µs of CPU per request on the 2-core machine, CPU taken from the server it shares
 * the cores with (docs/BENCHMARKS.md reports the load generator's CPU per request beside the
 * server's).
 */
export class BenchHttpClient {
  private readonly pool: Pool;

  constructor(port: number, connections: number) {
    this.pool = new Pool(`http://127.0.0.1:${port}`, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  }

  async send(method: 'GET' | 'POST' | 'PUT', path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
    const response = await this.pool.request({
      method,
      path,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body }),
    });
    return { status: response.statusCode, body: await response.body.text() };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
