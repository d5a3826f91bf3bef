/** A rendered message, ready for a sender: an HTTP POST or an e-mail. Renderers are pure; senders do I/O. */
export interface HttpOutbound {
  kind: 'http';
  url: string;
  headers: Record<string, string>;
  /** The raw body, exactly as sent (signatures are computed over it). */
  body: string;
  /** A receiver that answers 2xx with an error inside (GraphQL) is a failure: returns its message. */
  check?: (status: number, body: string) => string | null;
}

export interface SmtpOutbound {
  kind: 'smtp';
  smtp: { host: string; port: number; secure: boolean; auth?: { user: string; pass: string } };
  message: {
    from: string;
    to: string[];
    subject: string;
    text: string;
    html: string;
    messageId: string;
    headers: Record<string, string>;
  };
}

export type Outbound = HttpOutbound | SmtpOutbound;
