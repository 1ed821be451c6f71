// An OTLP/HTTP endpoint that accepts everything (200 with an empty protobuf answer, which decodes as "all
// accepted") and counts what it got: what a healthy local collector costs phabwatch, without the collector's own
// work. Run in its own process so the benchmark's synchronous replays cannot stall it.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const counts: Record<string, { requests: number; bytes: number }> = {};
const server = createServer((req, res) => {
  const signal = (req.url ?? '').replace(/^\/v1\//, '');
  const c = (counts[signal] ??= { requests: 0, bytes: 0 });
  c.requests++;
  req.on('data', (chunk: Buffer) => (c.bytes += chunk.length));
  req.on('end', () => {
    res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' });
    res.end(req.headers['content-type']?.includes('json') ? '{}' : '');
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
// The parent asks for the counts (and this process to end) by closing stdin.
process.stdin.resume();
process.stdin.on('end', () => {
  process.stdout.write(`${JSON.stringify({ counts })}\n`);
  server.close();
  process.exit(0);
});
