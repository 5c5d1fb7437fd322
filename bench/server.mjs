// A tiny static server for the benchmark pages on 127.0.0.1: `/pkg/` from the package built into
// bench/.pkg, `/dist/` from the peer bundles, everything else from bench/page/. Cross-origin
// isolated (COOP + COEP), so performance.now() has 5 µs resolution instead of 100 µs.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
};

/** mounts: {urlPrefix: directory}. Resolves {url, close()}. */
export async function startServer(mounts) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server = createServer(async (req, res) => {
    const headers = {
      'cache-control': 'no-store',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
      'cross-origin-resource-policy': 'same-origin',
    };
    const pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const prefix = prefixes.find((p) => pathname.startsWith(p));
    const root = prefix && path.resolve(mounts[prefix]);
    let rel = prefix ? pathname.slice(prefix.length) : '';
    if (rel === '') rel = 'index.html';
    const file = root && path.resolve(root, rel);
    if (req.method !== 'GET' || !file || !file.startsWith(root + path.sep) || pathname.includes('\0')) {
      res.writeHead(404, headers).end('not found\n');
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'content-type': MIME[path.extname(file)] || 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404, headers).end('not found\n');
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
