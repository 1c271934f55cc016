// The Ingress controller's data plane, run as its pod's container: an HTTP reverse proxy on :80
// routing by Host and path from a routes file the control plane keeps current, adding
// X-Forwarded-For/-Host/-Proto as ingress-nginx does. Usage: node ingress-proxy.js ROUTES.json
import { readFileSync, statSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { matchRoute, type IngressRoute } from './ingress-routes.js';

const file = process.argv[2]!;
let routes: IngressRoute[] = [];
let mtime = 0;
function reload(): void {
  try {
    const m = statSync(file).mtimeMs;
    if (m === mtime) return;
    routes = JSON.parse(readFileSync(file, 'utf8')) as IngressRoute[];
    mtime = m;
  } catch {
    /* not written yet, or being replaced: keep the last good table */
  }
}
reload();
setInterval(reload, 200).unref();

createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const route = matchRoute(routes, req.headers.host ?? '', url.pathname);
  const client = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  console.log(
    `${client} ${req.method} ${req.headers.host ?? ''}${req.url} -> ${route ? `${route.backend.ip}:${route.backend.port} (${route.ingress})` : '404'}`,
  );
  if (!route) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('default backend - 404\n');
    return;
  }
  const prior = req.headers['x-forwarded-for'];
  const headers = {
    ...req.headers,
    'x-forwarded-for': prior ? `${prior}, ${client}` : client,
    'x-forwarded-host': req.headers.host ?? '',
    'x-forwarded-proto': 'http',
    'x-real-ip': client,
  };
  const up = request(
    { host: route.backend.ip, port: route.backend.port, method: req.method, path: req.url, headers },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    },
  );
  up.on('error', (e) => {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`bad gateway: ${e.message}\n`);
  });
  req.pipe(up);
}).listen(80, '0.0.0.0', () => console.log(`ingress proxy on :80 (routes ${file})`));
