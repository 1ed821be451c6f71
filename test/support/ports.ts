// A loopback port nobody listens on right now: the kernel picks it, it is released at once (there is a small
// window before the caller uses it). Used both for servers the tests start and for "nothing answers here".

import { createServer } from 'node:net';

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}
