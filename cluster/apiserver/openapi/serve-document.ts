// Answers a GET for a precomputed document: 304 when the client's If-None-Match holds its ETag,
// the gzipped bytes when the client accepts gzip (Go's transport always does), else the plain
// ones. A request naming the current ?hash= may be cached for good (kube-apiserver's
// "public, immutable"); one naming an old hash is redirected to the current URL.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServedDocument } from './documents.js';

export function serveDocument(req: IncomingMessage, res: ServerResponse, doc: ServedDocument, url: URL): void {
  const etag = `"${doc.hash}"`;
  const hash = url.searchParams.get('hash');
  if (hash !== null && hash !== doc.hash) {
    url.searchParams.set('hash', doc.hash);
    res.writeHead(301, { Location: `${url.pathname}${url.search}`, 'Cache-Control': 'no-cache, private' });
    res.end();
    return;
  }
  const headers: Record<string, string | number> = {
    'Content-Type': doc.contentType,
    ETag: etag,
    Vary: 'Accept, Accept-Encoding',
    'Cache-Control': hash !== null ? 'public, immutable' : 'no-cache, private',
  };
  if (hash !== null) headers.Expires = new Date(Date.now() + 365 * 24 * 3600_000).toUTCString();
  const inm = req.headers['if-none-match'];
  if (inm && inm.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}` || t.trim() === '*')) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? doc.gzip : doc.body;
  if (gzip) headers['Content-Encoding'] = 'gzip';
  headers['Content-Length'] = body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}
