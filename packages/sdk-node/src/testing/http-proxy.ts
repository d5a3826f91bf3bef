/**
 * A real HTTP reverse proxy on 127.0.0.1 between an SDK and a real server, to
 * cut the network path (as a failed link or a proxy that breaks event streams
 * would) and to see what the SDK sent. It forwards everything unchanged.
 */
import http from 'node:http';
import type net from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  status?: number;
  /** The response body as far as it went through (for event streams: the events). */
  body: string;
}

export interface HttpProxy {
  readonly url: string;
  readonly seen: SeenRequest[];
  /** Drops every open connection and refuses new ones (connections are reset). */
  block(): void;
  unblock(): void;
  /** Answers `GET /api/v1/sdk/stream` with 503 while set; other requests pass. */
  breakStream(broken: boolean): void;
  close(): Promise<void>;
}

export async function startHttpProxy(target: string): Promise<HttpProxy> {
  const upstream = new URL(target);
  const sockets = new Set<net.Socket>();
  const seen: SeenRequest[] = [];
  let blocked = false;
  let streamBroken = false;

  const server = http.createServer((req, res) => {
    if (blocked) {
      req.socket.destroy();
      return;
    }
    const entry: SeenRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: '' };
    seen.push(entry);
    if (streamBroken && entry.path.startsWith('/api/v1/sdk/stream')) {
      entry.status = 503;
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"code":"unavailable","message":"stream blocked by the test proxy"}}');
      return;
    }
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        entry.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on('data', (chunk: Buffer) => {
          entry.body += chunk.toString();
          res.write(chunk);
        });
        answer.on('end', () => res.end());
        answer.on('error', () => res.destroy());
      },
    );
    forward.on('error', () => res.destroy());
    res.on('close', () => forward.destroy());
    req.pipe(forward);
  });
  server.on('connection', (socket) => {
    if (blocked) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    block() {
      blocked = true;
      for (const s of sockets) s.destroy();
    },
    unblock() {
      blocked = false;
    },
    breakStream(broken) {
      streamBroken = broken;
      if (broken) for (const s of sockets) s.destroy();
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
