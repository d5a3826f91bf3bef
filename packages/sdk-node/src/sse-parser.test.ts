import { describe, expect, it } from 'vitest';
import { SseParser } from './sse-parser.js';
import type { SseEvent } from './sse-parser.js';

function collect(initialId = '') {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const parser = new SseParser(
    { onEvent: (e) => events.push(e), onComment: (c) => comments.push(c), onRetry: (ms) => retries.push(ms) },
    initialId,
  );
  return { parser, events, comments, retries };
}

describe('SseParser', () => {
  it('parses event, id and data, and defaults the type to "message"', () => {
    const { parser, events } = collect();
    parser.push('event: put\nid: 3\ndata: {"flags":[]}\n\ndata: hello\n\n');
    expect(events).toEqual([
      { event: 'put', id: '3', data: '{"flags":[]}' },
      { event: 'message', id: '3', data: 'hello' },
    ]);
    expect(parser.lastEventId).toBe('3');
  });

  it('joins multi-line data with newlines and keeps an empty data line', () => {
    const { parser, events } = collect();
    parser.push('data: a\ndata:\ndata:  b\n\ndata\n\n');
    expect(events.map((e) => e.data)).toEqual(['a\n\n b', '']);
  });

  it('handles CRLF, lone CR and a CRLF split between chunks', () => {
    const { parser, events } = collect();
    parser.push('event: patch\r\ndata: 1\r');
    parser.push('\ndata: 2\r\r');
    parser.push('data: 3\r');
    parser.push('\r\n');
    expect(events).toEqual([
      { event: 'patch', id: '', data: '1\n2' },
      { event: 'message', id: '', data: '3' },
    ]);
  });

  it('reassembles fields split at any byte boundary', () => {
    const text = 'event: put\nid: v9\ndata: {"a":\ndata: 1}\n\n: ping\n\nevent: patch\nid: v10\ndata: x\n\n';
    for (let size = 1; size <= 7; size++) {
      const { parser, events, comments } = collect();
      for (let i = 0; i < text.length; i += size) parser.push(text.slice(i, i + size));
      expect(events).toEqual([
        { event: 'put', id: 'v9', data: '{"a":\n1}' },
        { event: 'patch', id: 'v10', data: 'x' },
      ]);
      expect(comments).toEqual(['ping']);
    }
  });

  it('reports comments, does not dispatch events without data, and ignores unknown fields', () => {
    const { parser, events, comments } = collect();
    parser.push(': ping\n:\nevent: put\n\nfoo: bar\nid: 4\n\n');
    expect(comments).toEqual(['ping', '']);
    expect(events).toEqual([]);
    // An id without data still updates the last event id.
    expect(parser.lastEventId).toBe('4');
  });

  it('keeps the id across events, resets it when empty, and ignores ids containing NUL', () => {
    const { parser, events } = collect('1');
    parser.push('data: a\n\nid: 2\ndata: b\n\nid: x\u0000y\ndata: c\n\nid\ndata: d\n\n');
    expect(events.map((e) => e.id)).toEqual(['1', '2', '2', '']);
  });

  it('takes retry with digits only', () => {
    const { parser, retries } = collect();
    parser.push('retry: 1500\nretry: 1.5\nretry: abc\n\n');
    expect(retries).toEqual([1500]);
  });

  it('drops a leading BOM only at the start of the stream', () => {
    const { parser, events } = collect();
    parser.push('\ufeffdata: a\n\n\ufeffdata: b\n\n');
    expect(events.map((e) => e.data)).toEqual(['a']);
  });

  it('discards an incomplete event when the stream ends', () => {
    const { parser, events } = collect();
    parser.push('event: patch\ndata: half');
    parser.end();
    parser.push('\n\n');
    expect(events).toEqual([]);
  });

  it('keeps the field name before the first colon only', () => {
    const { parser, events } = collect();
    parser.push('data: a: b:c\n\n');
    expect(events[0]!.data).toBe('a: b:c');
  });
});
