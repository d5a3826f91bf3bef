import http from 'node:http';

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
}

/** A minimal real SSE client over node:http, for tests: collects events and comment lines. */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  /** True once the server ended the stream. */
  ended = false;
  private buffer = '';
  private waiters: Array<() => void> = [];

  private constructor(
    readonly status: number,
    readonly headers: http.IncomingHttpHeaders,
    private readonly request: http.ClientRequest,
    response: http.IncomingMessage,
  ) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.push(chunk));
    response.on('end', () => {
      this.ended = true;
      this.push('');
    });
  }

  static connect(url: string, headers: Record<string, string>): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => resolve(new SseClient(res.statusCode ?? 0, res.headers, req, res)));
      req.on('error', reject);
    });
  }

  /** Resolves with the first event at or after `from` that matches. */
  async waitFor(predicate: (e: SseEvent) => boolean, from = 0, timeoutMs = 10_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching event in ${timeoutMs} ms; got ${JSON.stringify(this.events).slice(0, 2000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.request.destroy();
  }

  private push(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: SseEvent = { event: 'message', id: undefined, data: '' };
      const data: string[] = [];
      let isEvent = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else if (line.startsWith('event: ')) ((event.event = line.slice(7)), (isEvent = true));
        else if (line.startsWith('id: ')) event.id = line.slice(4);
        else if (line.startsWith('data: ')) ((isEvent = true), data.push(line.slice(6)));
      }
      if (isEvent) {
        event.data = data.join('\n');
        this.events.push(event);
      }
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
