// Requests for an aggregated group-version go to its backend after this apiserver authenticated
// and authorized them, as kube-aggregator's proxy handler does: the caller's identity travels in
// X-Remote-User / X-Remote-Group (its own credentials and impersonation headers do not), the
// response (watches included) streams back unchanged. 503 while the APIService is not Available.
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { UserInfo } from '../authn/authenticator.js';
import type { KubeletConnector } from '../http/kubelet-proxy.js';
import type { ObjectStore } from '../registry/object-store.js';
import type { ResourceCatalog } from '../resources.js';
import { ApiError } from '../status.js';
import type { RemoteGroupVersion } from './api-services.js';
import { backendSocket, resolveBackend } from './backend.js';
import { encodeForWire } from '../encoding/go-json.js';

const DROP = new Set([
  'authorization',
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'x-remote-user',
  'x-remote-group',
]);

export function proxyToApiService(
  req: IncomingMessage,
  res: ServerResponse,
  r: RemoteGroupVersion,
  user: UserInfo,
  deps: { catalog: ResourceCatalog; store: ObjectStore; connector?: KubeletConnector },
): Promise<void> {
  if (!r.available)
    throw new ApiError(503, 'ServiceUnavailable', `the server is currently unable to handle the request`, {
      group: r.group,
    });
  const conn = deps.connector;
  if (!conn) throw new ApiError(503, 'ServiceUnavailable', 'this apiserver has no connection to the lab network');
  const b = resolveBackend(deps.catalog, deps.store, r);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined && !DROP.has(k) && !k.startsWith('impersonate-') && !k.startsWith('x-remote-extra-'))
      headers[k] = v;
  headers.host = b.serverName;
  headers['x-remote-user'] = user.name;
  if (user.groups.length) headers['x-remote-group'] = user.groups;
  return new Promise((resolve) => {
    const out = httpRequest(
      { method: req.method, path: req.url, headers, createConnection: () => backendSocket(conn, b, r) as never },
      (up) => {
        const h: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers))
          if (v !== undefined && k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding') h[k] = v;
        res.writeHead(up.statusCode ?? 502, h);
        res.flushHeaders();
        up.pipe(res);
        up.on('end', () => resolve());
        up.on('error', () => resolve());
      },
    );
    out.on('error', (err) => {
      if (!res.headersSent) {
        const body = encodeForWire({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `error trying to reach service: ${err.message}`,
          reason: 'ServiceUnavailable',
          code: 503,
        });
        res.writeHead(503, { 'Content-Type': 'application/json' });
        res.end(body);
      } else res.destroy();
      resolve();
    });
    res.on('close', () => out.destroy());
    req.pipe(out);
  });
}
