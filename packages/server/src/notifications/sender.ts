import { isIP } from 'node:net';
import { outboundRequest, type OutboundResponse } from '../shared/outbound-http.js';
import { DEFAULT_OUTBOUND_POLICY, isOutboundRefusal, REFUSED_MESSAGE, type OutboundPolicy } from '../shared/outbound-policy.js';
import type { Outbound } from './renderers/outbound.js';

/** What one attempt to send came to. `permanent`: retrying the same request cannot help. */
export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  permanent: boolean;
}

/** Sends rendered messages; a test double can stand in for it only where no receiver is involved. */
export interface Sender {
  send(outbound: Outbound, deliveryId: string): Promise<SendResult>;
}

/** Client errors that a later retry may still fix on the receiver's side. */
const RETRYABLE_4XX = new Set([408, 409, 425, 429]);

function describe(error: unknown): string {
  // A refused destination says nothing more: the channel test must not become a probe of the network.
  if (isOutboundRefusal(error)) return REFUSED_MESSAGE;
  const e = error as { message?: string; cause?: { code?: string; message?: string }; code?: string; responseCode?: number };
  const cause = e.cause?.code ?? e.cause?.message;
  return [e.message ?? String(error), cause && !String(e.message).includes(cause) ? `(${cause})` : ''].filter(Boolean).join(' ').slice(0, 500);
}

/** HTTP with fetch (an abort after `timeoutMs`), SMTP with nodemailer. Every outgoing request carries the delivery id. */
export class NetworkSender implements Sender {
  constructor(
    private readonly timeoutMs: number,
    private readonly policy: OutboundPolicy = DEFAULT_OUTBOUND_POLICY,
    private readonly userAgent = 'Slipway-Notifications/1',
  ) {}

  async send(outbound: Outbound, deliveryId: string): Promise<SendResult> {
    return outbound.kind === 'http' ? this.http(outbound, deliveryId) : this.smtp(outbound);
  }

  private async http(outbound: Extract<Outbound, { kind: 'http' }>, deliveryId: string): Promise<SendResult> {
    let res: OutboundResponse;
    try {
      res = await outboundRequest(this.policy, outbound.url, {
        method: 'POST',
        headers: { ...outbound.headers, 'user-agent': this.userAgent, 'x-slipway-delivery': deliveryId },
        body: outbound.body,
        timeoutMs: this.timeoutMs,
      });
    } catch (error) {
      // Refused by policy: retrying cannot help until the operator changes the policy.
      return { ok: false, statusCode: null, error: describe(error), permanent: isOutboundRefusal(error) };
    }
    const text = res.text;
    if (res.status >= 200 && res.status < 300) {
      const problem = outbound.check?.(res.status, text) ?? null;
      return problem ? { ok: false, statusCode: res.status, error: problem, permanent: false } : { ok: true, statusCode: res.status, error: null, permanent: false };
    }
    const permanent = res.status >= 400 && res.status < 500 && !RETRYABLE_4XX.has(res.status);
    return { ok: false, statusCode: res.status, error: `HTTP ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}`, permanent };
  }

  private async smtp(outbound: Extract<Outbound, { kind: 'smtp' }>): Promise<SendResult> {
    // Loaded on first use: servers without an email channel do not pay for nodemailer at start.
    const { default: nodemailer } = await import('nodemailer');
    let address: string;
    try {
      // Connect to the checked address itself, so the name cannot resolve elsewhere in between.
      address = await this.policy.resolve(outbound.smtp.host);
    } catch (error) {
      return { ok: false, statusCode: null, error: describe(error), permanent: isOutboundRefusal(error) };
    }
    const named = isIP(outbound.smtp.host.replace(/^\[|\]$/g, '')) === 0;
    const transport = nodemailer.createTransport({
      host: address,
      ...(named && { tls: { servername: outbound.smtp.host } }),
      port: outbound.smtp.port,
      secure: outbound.smtp.secure,
      ...(outbound.smtp.auth && { auth: outbound.smtp.auth }),
      connectionTimeout: this.timeoutMs,
      greetingTimeout: this.timeoutMs,
      socketTimeout: this.timeoutMs,
    });
    try {
      await transport.sendMail(outbound.message);
      return { ok: true, statusCode: 250, error: null, permanent: false };
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode ?? null;
      // 5xx SMTP replies (unknown mailbox, refused sender) do not change on their own.
      return { ok: false, statusCode: code, error: describe(error), permanent: code !== null && code >= 500 };
    } finally {
      transport.close();
    }
  }
}
