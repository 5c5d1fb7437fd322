// The static file server of the demo (scripts/demo.sh) and of the tests: `/pkg/...` from the built
// package, everything else from www/. Correct MIME types (application/wasm matters:
// instantiateStreaming refuses anything else), no caching, no directory listings, no path traversal.
// Each HTML page gets its own meta CSP as a header, plus frame-ancestors and nosniff.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/**
 * A page's CSP as a header: its own meta policy (one source of truth) plus what only a header can
 * say — `frame-ancestors 'none'` (no framing: clickjacking on the consent flow).
 */
export function pageCsp(html) {
  const meta = html.match(/http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i);
  return [meta && meta[1], "frame-ancestors 'none'"].filter(Boolean).join('; ');
}

/** mounts: [[urlPrefix, directory], ...], longest prefix first. Resolves {url, close()}. */
export async function startStaticServer(mounts, { host = '127.0.0.1', port = 0 } = {}) {
  const sorted = [...mounts].sort((a, b) => b[0].length - a[0].length);
  const requests = [];
  const server = createServer(async (req, res) => {
    const send = (status, text) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      return send(400, 'bad request\n');
    }
    if (pathname.includes('\0')) return send(400, 'bad request\n');
    const mount = sorted.find(([prefix]) => pathname === prefix.replace(/\/$/, '') || pathname.startsWith(prefix));
    if (!mount) return send(404, 'not found\n');
    const [prefix, dir] = mount;
    let rel = pathname.slice(prefix.length);
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    const root = path.resolve(dir);
    const file = path.resolve(root, rel);
    if (file !== root && !file.startsWith(root + path.sep)) return send(403, 'forbidden\n');
    let info;
    try {
      info = await stat(file);
    } catch {
      return send(404, 'not found\n');
    }
    if (!info.isFile()) return send(404, 'not found\n');
    requests.push(pathname);
    const headers = {
      'content-type': MIME[path.extname(file).toLowerCase()] || 'application/octet-stream',
      'content-length': info.size,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    };
    if (file.endsWith('.html')) headers['content-security-policy'] = pageCsp(await readFile(file, 'utf8'));
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const { port: bound } = server.address();
  return {
    url: `http://${host}:${bound}`,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

// As a program (scripts/demo.sh): node scripts/static-server.mjs PORT PREFIX=DIR...
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [port, ...specs] = process.argv.slice(2);
  const mounts = specs.map((spec) => spec.split('='));
  const { url } = await startStaticServer(mounts, { port: Number(port) });
  console.log(`serving ${url}`);
}
