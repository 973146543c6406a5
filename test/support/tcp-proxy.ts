import { AddressInfo, createServer, connect, Socket } from 'node:net';

/**
 * A TCP proxy for tests that must make one connection go silent without closing it — what a
 * network partition or a half-open connection looks like to a client. Bytes are held, not
 * dropped, while a connection is frozen, and delivered in order when it is thawed.
 */
export interface TcpProxy {
  port: number;
  /** The connection string with its host and port replaced by the proxy's. */
  through(connectionString: string): string;
  /** Freezes the open connections whose first client message contains `marker`; returns how many. */
  freeze(marker: string): number;
  thaw(): void;
  close(): Promise<void>;
}

interface Relayed {
  downstream: Socket;
  upstream: Socket;
  first: Buffer | null;
  frozen: boolean;
  held: Array<[Socket, Buffer]>;
}

export const startTcpProxy = async (targetUrl: string): Promise<TcpProxy> => {
  const target = new URL(targetUrl);
  const relays = new Set<Relayed>();
  const server = createServer((downstream) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    const relay: Relayed = { downstream, upstream, first: null, frozen: false, held: [] };
    relays.add(relay);
    const forward = (to: Socket) => (chunk: Buffer) => {
      if (to === upstream && relay.first === null) relay.first = chunk;
      if (relay.frozen) relay.held.push([to, chunk]);
      else to.write(chunk);
    };
    downstream.on('data', forward(upstream));
    upstream.on('data', forward(downstream));
    const end = () => {
      relays.delete(relay);
      downstream.destroy();
      upstream.destroy();
    };
    for (const socket of [downstream, upstream]) {
      socket.on('close', end);
      socket.on('error', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    through: (connectionString) => {
      const url = new URL(connectionString);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    freeze: (marker) => {
      let count = 0;
      for (const relay of relays)
        if (relay.first?.includes(marker)) {
          relay.frozen = true;
          count++;
        }
      return count;
    },
    thaw: () => {
      for (const relay of relays) {
        relay.frozen = false;
        for (const [to, chunk] of relay.held.splice(0)) to.write(chunk);
      }
    },
    close: async () => {
      for (const relay of relays) {
        relay.downstream.destroy();
        relay.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
