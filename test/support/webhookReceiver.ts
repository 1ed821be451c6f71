// A webhook receiver for tests: a node:http server on 127.0.0.1 that keeps every request (raw bytes included,
// so a test can search them for secrets) and answers with a status the test chooses.

import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** wall clock when it arrived */
  at: number;
}

export type Responder = (req: ReceivedRequest) => number | 'hang';

export interface WebhookReceiver {
  /** base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** the JSON bodies of the requests so far */
  json<T = unknown>(): T[];
  /** how the next requests are answered: a status, or 'hang' (never answered) */
  respond(responder: Responder | number | 'hang'): void;
  /** waits until `probe` holds over the requests received so far */
  waitFor(probe: (requests: readonly ReceivedRequest[]) => boolean, timeoutMs: number, what: string): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(initial: Responder | number = 200): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  let responder: Responder = typeof initial === 'number' ? () => initial : initial;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: ReceivedRequest = {
        method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), at: Date.now(),
      };
      const answer = responder(received);
      if (answer === 'hang') return;
      requests.push(received);
      res.writeHead(answer, { 'content-type': 'text/plain' });
      res.end(answer >= 200 && answer < 300 ? 'ok' : `status ${answer}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    json: <T>() => requests.map((r) => JSON.parse(r.body.toString('utf8')) as T),
    respond(next) {
      responder = typeof next === 'function' ? next : () => next;
    },
    async waitFor(probe, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      while (!probe(requests)) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${requests.length} requests received)`);
        await sleep(25);
      }
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
