// A loopback TCP proxy in front of a real server (Redis in the tests), which a test can cut or silence to
// stage an outage without stopping the shared server everyone else is using.
import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  /** redis://127.0.0.1:<port> style address of the proxy. */
  port: number;
  /** Connections stay open but nothing more is forwarded either way (a hung server or a black-holed network). */
  silence(): void;
  /** Every connection is cut and new ones are refused (the server went away). */
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let silent = false;
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const forward = (from: Socket, to: Socket) =>
      from.on("data", (chunk) => {
        if (!silent) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    silence() {
      silent = true;
    },
    close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
