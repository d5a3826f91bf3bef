import { CliError } from './io.js';
import type { Profile } from './profile.js';

/** A thin client of the HTTP API: the CLI talks to the server only through it. */
export class ApiClient {
  constructor(private readonly profile: Profile) {}

  /** The server's URL, e.g. for links the CLI prints. */
  get baseUrl(): string {
    return this.profile.url;
  }

  async request<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.profile.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.profile.token}`, accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new CliError(`Cannot reach ${this.profile.url} (${cause}). Is the server running?`);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new CliError(`The server answered ${res.status} with a body that is not JSON.`);
    }
    if (!res.ok) {
      const message = json?.error?.message ?? `HTTP ${res.status}`;
      const code = json?.error?.code ? ` [${json.error.code}]` : '';
      throw new CliError(`${message}${code}`);
    }
    return json as T;
  }

  /** A non-JSON answer (release notes in Markdown); errors still come as JSON. */
  async text(path: string): Promise<string> {
    let res: Response;
    try {
      res = await fetch(`${this.profile.url}${path}`, { headers: { authorization: `Bearer ${this.profile.token}` } });
    } catch (error) {
      throw new CliError(`Cannot reach ${this.profile.url} (${(error as Error).message}). Is the server running?`);
    }
    const body = await res.text();
    if (!res.ok) {
      let message = `HTTP ${res.status}`;
      try {
        const json = JSON.parse(body);
        message = `${json.error.message} [${json.error.code}]`;
      } catch {
        // keep the status line
      }
      throw new CliError(message);
    }
    return body;
  }

  /** Follows nextCursor until `max` items or the end. */
  async list<T = any>(path: string, max = Infinity): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const page: { items: T[]; nextCursor: string | null } = await this.request('GET', `${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && items.length < max);
    return items.slice(0, max);
  }

  /** Reads a server-sent event stream until the server closes it, calling `onEvent` for each event. */
  async events(path: string, onEvent: (event: string, data: any) => void): Promise<void> {
    let res: Response;
    try {
      res = await fetch(`${this.profile.url}${path}`, { headers: { authorization: `Bearer ${this.profile.token}`, accept: 'text/event-stream' } });
    } catch (error) {
      throw new CliError(`Cannot reach ${this.profile.url} (${(error as Error).message}). Is the server running?`);
    }
    if (!res.ok || !res.body) {
      const json = (await res.json().catch(() => undefined)) as { error?: { message?: string; code?: string } } | undefined;
      throw new CliError(`${json?.error?.message ?? `HTTP ${res.status}`}${json?.error?.code ? ` [${json.error.code}]` : ''}`);
    }
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) onEvent(event, JSON.parse(data.join('\n')));
        }
      }
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`The stream from ${this.profile.url} was interrupted (${(error as Error).message}); run the command again to follow from the start.`);
    }
  }
}
