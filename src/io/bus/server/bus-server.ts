/**
 * `startBusServer`: the bus's HTTP API (bus-routes.ts) and streaming pull (WebSocket, streaming-pull-socket.ts) on one
 * port, served by @hono/node-server (publishes by fast-publish.ts on node:http directly). Listens on loopback unless a host is given. `close()` shuts down gracefully:
 * stops accepting connections, ends the streaming pulls (their held messages are nacked), lets the requests in flight
 * finish (up to a grace period), and resolves; the caller then closes the bus, which syncs its files.
 * @example
 *   const bus = await openBus({ dir: '.riffle/bus' });
 *   const server = await startBusServer({ bus, port: 0 });
 *   console.log(server.url); // http://127.0.0.1:40123/
 *   await server.close(); await bus.close();
 */
import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer, upgradeWebSocket } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import type { Bus } from '../bus-api.ts';
import { BusUnavailableError } from '../bus-errors.ts';
import { busRoutes } from './bus-routes.ts';
import { fastPublishHandler } from './fast-publish.ts';
import { DEFAULT_BUS_PORT } from './serve.ts';
import { StreamingSessions } from './streaming-pull-socket.ts';


export interface BusServerOptions {
  readonly bus: Bus;
  /** Default 8085; 0 picks a free port (see `BusServer.port`). */
  readonly port?: number;
  /** Default 127.0.0.1 (loopback only). */
  readonly host?: string;
  /** Requires `Authorization: Bearer <token>` on every request. */
  readonly token?: string;
  /** How long `close()` lets requests in flight finish before cutting their connections (default 10 s). */
  readonly shutdownGrace?: number;
  readonly version?: string;
  readonly logError?: (error: unknown) => void;
}

export interface BusServer {
  /** `http://host:port/`, the URL clients connect to. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Open streaming pulls. */
  readonly streams: number;
  /** Stops accepting, ends streaming pulls, waits for requests in flight (at most the grace period). Idempotent. */
  close(): Promise<void>;
}

/** Starts the bus's HTTP server; resolves once it listens. */
export async function startBusServer(options: BusServerOptions): Promise<BusServer> {
  const host = options.host ?? '127.0.0.1';
  const sessions = new StreamingSessions();
  const app = busRoutes(options.bus, {
    ...(options.token !== undefined ? { token: options.token } : {}),
    upgradeWebSocket,
    sessions,
    ...(options.version !== undefined ? { version: options.version } : {}),
    ...(options.logError !== undefined ? { logError: options.logError } : {}),
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  // Publishes take the node:http fast path (fast-publish.ts); everything else goes to Hono.
  const fastPublish = fastPublishHandler(options.bus, {
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.logError !== undefined ? { logError: options.logError } : {}),
  });
  const server = createAdaptorServer({
    fetch: app.fetch,
    hostname: host,
    websocket: { server: wss },
    createServer: ((serverOptions: ServerOptions, listener: RequestListener) =>
      createServer(serverOptions, (req, res) => {
        if (!fastPublish(req, res)) void listener(req, res);
      })) as typeof createServer,
  }) as Server;
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const what = e.code === 'EADDRINUSE' ? 'the port is in use' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EADDRNOTAVAIL' ? 'no such local address' : e.message;
      reject(new BusUnavailableError(`cannot listen on ${host}:${options.port ?? DEFAULT_BUS_PORT}: ${what}`, { hint: 'choose another --port (0 picks a free one) or --host', cause: e }));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options.port ?? DEFAULT_BUS_PORT, host);
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await sessions.closeAll();
      server.closeIdleConnections();
      // Connections finishing a request become idle one by one: close each as it does, until all are gone.
      const sweep = setInterval(() => server.closeIdleConnections(), 20);
      const grace = setTimeout(() => server.closeAllConnections(), options.shutdownGrace ?? 10_000);
      try {
        await closed;
      } finally {
        clearInterval(sweep);
        clearTimeout(grace);
        wss.close();
      }
    })());

  return {
    url: `http://${urlHost}:${address.port}/`,
    host: address.address,
    port: address.port,
    get streams() {
      return sessions.size;
    },
    close,
  };
}
