// Reaching an aggregated API server: the APIService's Service → a ready endpoint (its pod
// address and the target port of the service port), dialled through the connection the apiserver
// has to the lab network, over TLS checked against spec.caBundle for <service>.<namespace>.svc
// (or not checked with insecureSkipTLSVerify). The request carries the user as kube-apiserver's
// front proxy does: X-Remote-User / X-Remote-Group, authenticated by the proxy client certificate.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { KubeletConnector } from '../http/kubelet-proxy.js';
import type { KObject, ObjectStore } from '../registry/object-store.js';
import type { ResourceCatalog } from '../resources.js';
import type { RemoteGroupVersion } from './api-services.js';

export interface Backend {
  host: string;
  port: number;
  serverName: string;
  url: string;
}

class BackendError extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

export function resolveBackend(catalog: ResourceCatalog, store: ObjectStore, r: RemoteGroupVersion): Backend {
  const { namespace, name, port } = r.service;
  const svc = store.tryGet(catalog.find('', 'v1', 'services')!, namespace, name);
  if (!svc) throw new BackendError(`service/${name} in "${namespace}" is not present`, 'ServiceNotFound');
  const sp = ((svc.spec?.ports ?? []) as KObject[]).find((p) => p.port === port);
  if (!sp)
    throw new BackendError(`service/${name} in "${namespace}" is not listening on port ${port}`, 'ServicePortError');
  const eps = store.tryGet(catalog.find('', 'v1', 'endpoints')!, namespace, name);
  for (const sub of (eps?.subsets ?? []) as KObject[]) {
    const ep = ((sub.ports ?? []) as KObject[]).find((p) => (sp.name ? p.name === sp.name : true));
    const addr = sub.addresses?.[0]?.ip;
    if (ep && addr)
      return { host: addr, port: ep.port, serverName: `${name}.${namespace}.svc`, url: `https://${addr}:${ep.port}` };
  }
  throw new BackendError(
    `endpoints for service/${name} in "${namespace}" have no addresses with port name "${sp.name ?? ''}"`,
    'MissingEndpoints',
  );
}

export function backendSocket(conn: KubeletConnector, b: Backend, r: RemoteGroupVersion) {
  const opts: ConnectionOptions = {
    socket: conn.dial(b.host, b.port),
    servername: b.serverName,
    cert: conn.tls.cert,
    key: conn.tls.key,
    rejectUnauthorized: !r.insecureSkipTLSVerify,
  };
  if (r.caBundle) opts.ca = r.caBundle;
  return tlsConnect(opts);
}

/** One buffered request to the backend (the availability check's discovery GET). */
export function backendRequest(
  conn: KubeletConnector,
  b: Backend,
  r: RemoteGroupVersion,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  timeoutMs: number,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        method,
        path,
        headers: { ...headers, host: b.serverName, accept: 'application/json' },
        createConnection: () => backendSocket(conn, b, r) as never,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => req.destroy(new Error('Client.Timeout exceeded while awaiting headers')), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end();
  });
}
