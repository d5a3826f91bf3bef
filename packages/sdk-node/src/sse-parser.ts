/**
 * A small parser for `text/event-stream` (the WHATWG "server-sent events"
 * format), fed decoded text in arbitrary chunks. It follows the spec's
 * interpretation rules: lines end in CR, LF or CRLF (a CR at the end of one
 * chunk and an LF at the start of the next are one line end), a leading BOM is
 * dropped, `:` lines are comments, `data` lines are joined with "\n", an event
 * is dispatched on a blank line and only when it has data, `id` persists
 * across events (and is ignored when it contains NUL), `retry` takes digits only.
 */

/** One dispatched server-sent event. */
export interface SseEvent {
  /** The `event` field, `"message"` when absent. */
  readonly event: string;
  /** The `data` lines joined with "\n". */
  readonly data: string;
  /** The last event id seen on the stream so far (it persists across events), `""` if none. */
  readonly id: string;
}

/** What the parser reports besides events. */
export interface SseHandlers {
  onEvent(event: SseEvent): void;
  /** A `: …` line (heartbeats). */
  onComment?(text: string): void;
  /** A valid `retry: <ms>` field. */
  onRetry?(ms: number): void;
}

/**
 * Incremental SSE parser.
 *
 * @example
 * const parser = new SseParser({ onEvent: (e) => console.log(e.event, e.id, e.data) });
 * parser.push('event: put\nid: 7\ndata: {"flags":[]}\n\n');
 */
export class SseParser {
  private buffer = '';
  private started = false;
  private skipLf = false;
  private eventType = '';
  private data: string[] = [];
  private hasData = false;
  private lastId = '';

  constructor(
    private readonly handlers: SseHandlers,
    initialId = '',
  ) {
    this.lastId = initialId;
  }

  /** The last event id seen (or the initial one): what to send as `Last-Event-ID`. */
  get lastEventId(): string {
    return this.lastId;
  }

  /** Feeds decoded text; complete lines are processed at once, the rest is kept. */
  push(chunk: string): void {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.skipLf && text.length > 0) {
      this.skipLf = false;
      if (text.charCodeAt(0) === 0x0a) text = text.slice(1);
    }
    this.buffer += text;
    let start = 0;
    const buf = this.buffer;
    for (let i = 0; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (c !== 0x0a && c !== 0x0d) continue;
      this.line(buf.slice(start, i));
      if (c === 0x0d) {
        if (i + 1 < buf.length) {
          if (buf.charCodeAt(i + 1) === 0x0a) i++;
        } else {
          // The LF of a CRLF may arrive with the next chunk.
          this.skipLf = true;
        }
      }
      start = i + 1;
    }
    this.buffer = buf.slice(start);
  }

  /**
   * Ends the stream: an incomplete event (no blank line yet) is discarded, as
   * the spec requires, so a cut connection never applies half an event.
   */
  end(): void {
    this.buffer = '';
    this.eventType = '';
    this.data = [];
    this.hasData = false;
    this.skipLf = false;
  }

  private line(line: string): void {
    if (line.length === 0) {
      this.dispatch();
      return;
    }
    if (line.charCodeAt(0) === 0x3a) {
      this.handlers.onComment?.(line.slice(1).replace(/^ /, ''));
      return;
    }
    const colon = line.indexOf(':');
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    }
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.handlers.onRetry?.(Number(value));
        break;
      default:
        // Unknown fields are ignored.
        break;
    }
  }

  private dispatch(): void {
    const type = this.eventType;
    const hasData = this.hasData;
    const data = this.data.join('\n');
    this.eventType = '';
    this.data = [];
    this.hasData = false;
    if (!hasData) return;
    this.handlers.onEvent({ event: type === '' ? 'message' : type, data, id: this.lastId });
  }
}
