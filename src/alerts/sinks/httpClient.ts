// The one HTTP client every HTTP destination uses (Alertmanager, webhooks): a JSON POST with a timeout, no
// redirects followed, keep-alive connections, and a verdict a delivery loop can act on. Error texts name the
// destination by its origin only: a webhook's path (Slack's /services/T/B/secret) or query can be a credential.

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export const USER_AGENT = 'phabwatch/0.1';
const DEFAULT_TIMEOUT_MS = 10_000;
/** response bytes kept for an error message */
const RESPONSE_SNIPPET = 300;
const TOKEN = /\b(api|cli|clr)-[a-z2-7]{4,}/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/g;

export type HttpVerdict =
  | { ok: true; status: number }
  /** retryable: worth trying again later (network error, timeout, 5xx, 408, 429); otherwise the request is wrong */
  | { ok: false; retryable: boolean; status: number | null; error: string };

export interface PostOptions {
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** The part of a URL that may be shown: scheme, host and port. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

export class HttpClient {
  private readonly defaultTimeoutMs: number;
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 4 });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 4 });
  private readonly inFlight = new Set<AbortController>();
  private closed = false;

  constructor(options: { timeoutMs?: number } = {}) {
    this.defaultTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** POSTs a JSON body; resolves with a verdict, never rejects. */
  postJson(url: string, body: string, options: PostOptions = {}): Promise<HttpVerdict> {
    const where = originOf(url);
    if (this.closed) return Promise.resolve({ ok: false, retryable: true, status: null, error: `POST ${where}: the client is closed (stopping)` });
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return Promise.resolve({ ok: false, retryable: false, status: null, error: 'the destination URL is not valid' });
    }
    const secure = target.protocol === 'https:';
    const payload = Buffer.from(body, 'utf8');
    const abort = new AbortController();
    this.inFlight.add(abort);
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise<HttpVerdict>((resolve) => {
      let settled = false;
      const finish = (verdict: HttpVerdict): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight.delete(abort);
        resolve(verdict);
      };
      const timer = setTimeout(() => {
        finish({ ok: false, retryable: true, status: null, error: `POST ${where}: no answer within ${timeoutMs} ms` });
        abort.abort();
      }, timeoutMs);
      const send = secure ? httpsRequest : httpRequest;
      const req = send(target, {
        method: 'POST',
        agent: secure ? this.httpsAgent : this.httpAgent,
        signal: abort.signal,
        headers: {
          'user-agent': USER_AGENT,
          ...lowerCaseKeys(options.headers ?? {}),
          'content-type': 'application/json',
          'content-length': String(payload.length),
        },
      }, (res) => {
        readSnippet(res).then((snippet) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) finish({ ok: true, status });
          else finish({ ok: false, retryable: isRetryableStatus(status), status, error: `POST ${where}: HTTP ${status}${snippet ? `: ${snippet}` : ''}` });
        }, (err: Error) => finish({ ok: false, retryable: true, status: null, error: `POST ${where}: the answer broke off (${describe(err)})` }));
      });
      req.on('error', (err) => {
        const why = abort.signal.aborted && !settled ? 'aborted (stopping)' : describe(err);
        finish({ ok: false, retryable: true, status: null, error: `POST ${where}: ${why}` });
      });
      req.end(payload);
    });
  }

  /** Aborts requests still in flight (their deliveries stay pending) and closes idle connections. */
  close(): void {
    this.closed = true;
    for (const abort of this.inFlight) abort.abort();
    this.inFlight.clear();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

async function readSnippet(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (kept < RESPONSE_SNIPPET) {
      chunks.push(chunk);
      kept += chunk.length;
    }
  }
  return printable(Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_SNIPPET).trim());
}

/** A receiver's answer goes into logs and the deliveries table: no control characters, nothing token-shaped. */
export function printable(text: string): string {
  return text.replace(CONTROL, ' ').replace(TOKEN, '$1-[masked]');
}

function describe(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is it running?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ETIMEDOUT':
      return 'connection timed out';
    default:
      return printable(code ? `${code}: ${err.message}` : err.message);
  }
}
