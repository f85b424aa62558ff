// A small static HTTP server on loopback for network boots: iPXE in the guest fetches the script and artifacts
// from QEMU's user-network host alias (10.0.2.2). Files are streamed; only names in the allow-list are served.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import { onCleanup } from '../util/cleanup.js';

export interface FileServer {
  port: number;
  close(): Promise<void>;
}

/** Serve `files` (URL name → path) on 127.0.0.1 at a free port. */
export async function serveFiles(files: Map<string, string>): Promise<FileServer> {
  const server: Server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split('?')[0]!.replace(/^\/+/, ''));
    const path = files.get(name);
    if (!path || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404).end();
      return;
    }
    void stat(path).then(
      (s) => {
        res.writeHead(200, { 'content-length': s.size, 'content-type': 'application/octet-stream' });
        if (req.method === 'HEAD') return void res.end();
        createReadStream(path, { highWaterMark: 1 << 20 }).on('error', () => res.destroy()).pipe(res);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const reg = onCleanup(`http server for ${[...files.keys()].map((k) => basename(k)).join(',')}`, () => new Promise<void>((r) => server.close(() => r())));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await reg.dispose();
    },
  };
}
