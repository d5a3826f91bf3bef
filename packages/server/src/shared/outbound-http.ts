import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { OutboundRefusedError, type OutboundPolicy } from './outbound-policy.js';

export interface OutboundRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Larger answers are cut here (the rest is not read). Default 1 MiB. */
  maxBytes?: number;
}

export interface OutboundResponse {
  status: number;
  text: string;
  /** True when the body was longer than maxBytes. */
  truncated: boolean;
}

export class OutboundTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * One HTTP(S) request to a destination users configured, through the outbound policy: the URL's host
 * is checked, and the policy's `lookup` checks every address the name resolves to as the connection
 * is made. Redirects are not followed (a 3xx is an answer). Rejects with OutboundRefusedError when the
 * policy refuses the destination.
 */
export function outboundRequest(policy: OutboundPolicy, url: string, request: OutboundRequest): Promise<OutboundResponse> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new Error('the URL is not valid'));
      return;
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      reject(new Error(`${target.protocol} URLs are not supported`));
      return;
    }
    const problem = policy.urlProblem(url);
    if (problem) {
      reject(new OutboundRefusedError(problem));
      return;
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const client = target.protocol === 'https:' ? https : http;
    const maxBytes = request.maxBytes ?? 1024 * 1024;
    const req = client.request(
      {
        protocol: target.protocol,
        hostname: host,
        port: target.port || undefined,
        path: `${target.pathname}${target.search}`,
        method: request.method ?? 'GET',
        headers: { ...request.headers, ...(request.body !== undefined && { 'content-length': String(Buffer.byteLength(request.body)) }) },
        // Literal addresses are checked above; names go through the checking lookup.
        ...(isIP(host) === 0 && { lookup: policy.lookup }),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        res.on('data', (chunk: Buffer) => {
          if (truncated) return;
          size += chunk.length;
          if (size > maxBytes) {
            truncated = true;
            chunks.push(chunk.subarray(0, chunk.length - (size - maxBytes)));
            res.destroy();
            finish();
            return;
          }
          chunks.push(chunk);
        });
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), truncated });
        };
        res.on('end', finish);
        res.on('error', (error) => (truncated ? finish() : fail(error)));
      },
    );
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      clearTimeout(timer);
      reject(error);
    };
    const timer = setTimeout(() => {
      const error = new OutboundTimeoutError(request.timeoutMs);
      req.destroy(error);
      fail(error);
    }, request.timeoutMs);
    req.on('error', fail);
    req.end(request.body);
  });
}
