// The one place the apiserver opens a connection to a node, as kube-apiserver does for pods/log,
// pods/exec, pods/attach, pods/portforward and nodes/proxy: it finds the pod's node, dials the
// kubelet at the node's InternalIP and daemonEndpoints port (10250) with the kubelet client
// certificate, verifies the kubelet's serving certificate against the cluster CA, and passes the
// request through. Upgrades (WebSocket, SPDY) are spliced byte for byte after the request line, so
// the streaming protocols are the kubelet's (k8s.io/apimachinery's UpgradeAwareHandler).
// services/proxy goes to a ready endpoint of the Service the same way, without client certificate.
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { KObject } from '../registry/object-store.js';
import { ApiError, badRequest, notFound } from '../status.js';
import type { ApiContext, RequestScope } from './context.js';
import { encodeForWire } from '../encoding/go-json.js';

/** How the apiserver reaches lab addresses (nodes' kubelets, pods behind Services). */
export interface KubeletConnector {
  /** A byte stream to host:port as seen from the node network (TLS is added by the caller). */
  dial(host: string, port: number): Duplex;
  /** The kubelet client certificate and the CA that signed the kubelets' serving certificates. */
  tls: { ca: Buffer; cert: Buffer; key: Buffer };
}

export interface ProxyTarget {
  host: string;
  port: number;
  /** Path and query on the target. */
  path: string;
  tls: boolean;
}

const CONNECT_VERBS = new Set(['exec', 'attach', 'portforward']);

export function isConnectSubresource(resource: string, sub: string): boolean {
  return (
    (resource === 'pods' && (CONNECT_VERBS.has(sub) || sub === 'log' || sub === 'proxy' || sub.startsWith('proxy/'))) ||
    ((resource === 'nodes' || resource === 'services') && (sub === 'proxy' || sub.startsWith('proxy/')))
  );
}

function kubeletAddress(ctx: ApiContext, nodeName: string): { host: string; port: number } {
  const nodes = ctx.catalog.find('', 'v1', 'nodes')!;
  let node: KObject;
  try {
    node = ctx.store.get(nodes, '', nodeName);
  } catch {
    throw badRequest(`node "${nodeName}" not found`);
  }
  const host = (node.status?.addresses ?? []).find((a: KObject) => a.type === 'InternalIP')?.address;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 10250;
  if (!host) throw badRequest(`node "${nodeName}" has no InternalIP`);
  return { host, port };
}

function containerOf(pod: KObject, wanted: string | null, podName: string): string {
  const names: string[] = (pod.spec?.containers ?? []).map((c: KObject) => c.name);
  const extra: string[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.ephemeralContainers ?? [])].map(
    (c: KObject) => c.name,
  );
  if (!wanted) {
    if (names.length !== 1)
      throw badRequest(`a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]`);
    return names[0]!;
  }
  if (!names.includes(wanted) && !extra.includes(wanted))
    throw badRequest(`container ${wanted} is not valid for pod ${podName}`);
  return wanted;
}

/** Where kube-apiserver's REST storage for each connect subresource sends the request. */
export function proxyTarget(ctx: ApiContext, s: RequestScope): ProxyTarget {
  const q = new URLSearchParams(s.url.searchParams);
  const enc = encodeURIComponent;
  if (s.resource.plural === 'nodes') {
    const { host, port } = kubeletAddress(ctx, s.name);
    const rest = s.subresource.slice('proxy'.length) || '/';
    return { host, port, path: `${rest}${s.url.search}`, tls: true };
  }
  const obj = ctx.store.get(s.resource, s.namespace, s.resource.plural === 'services' ? s.name.split(':')[0]! : s.name);
  if (s.resource.plural === 'services') return serviceTarget(ctx, obj, s);
  const pod = obj;
  const sub = s.subresource;
  if (sub === 'proxy' || sub.startsWith('proxy/'))
    throw new ApiError(501, 'NotImplemented', 'pods/proxy is not served; use services/proxy or port-forward');
  if (!pod.spec?.nodeName) throw badRequest(`pod ${s.name} does not have a host assigned`);
  const { host, port } = kubeletAddress(ctx, pod.spec.nodeName);
  const base = `${enc(s.namespace)}/${enc(s.name)}`;
  if (sub === 'portforward') return { host, port, path: `/portForward/${base}?${q}`, tls: true };
  const container = containerOf(pod, q.get('container'), s.name);
  q.delete('container');
  if (sub === 'log') {
    return { host, port, path: `/containerLogs/${base}/${enc(container)}?${q}`, tls: true };
  }
  const path = sub === 'exec' ? 'exec' : 'attach';
  return { host, port, path: `/${path}/${base}/${enc(container)}?${q}`, tls: true };
}

function serviceTarget(ctx: ApiContext, svc: KObject, s: RequestScope): ProxyTarget {
  // services/<name>[:<port>]/proxy/<path>: the port by name or number, one ready endpoint.
  const [, portName = ''] = s.name.split(':');
  const eps = ctx.store.get(ctx.catalog.find('', 'v1', 'endpoints')!, s.namespace, s.name.split(':')[0]!, '');
  const ports: KObject[] = svc.spec?.ports ?? [];
  const sp = portName ? ports.find((p) => p.name === portName || String(p.port) === portName) : ports[0];
  if (!sp) throw notFound('services', '', s.name);
  for (const sub of (eps.subsets ?? []) as KObject[]) {
    const ep = (sub.ports ?? []).find((p: KObject) => (sp.name ? p.name === sp.name : true));
    const addr = sub.addresses?.[0]?.ip;
    if (ep && addr)
      return {
        host: addr,
        port: ep.port,
        path: `${s.subresource.slice('proxy'.length) || '/'}${s.url.search}`,
        tls: false,
      };
  }
  throw new ApiError(503, 'ServiceUnavailable', `no endpoints available for service "${s.name}"`);
}

function connectTarget(conn: KubeletConnector, t: ProxyTarget): Duplex {
  const raw = conn.dial(t.host, t.port);
  if (!t.tls) return raw;
  // The kubelet's serving certificate names the node's address; checked against the cluster CA.
  return tlsConnect({
    socket: raw,
    host: t.host,
    servername: undefined,
    ca: conn.tls.ca,
    cert: conn.tls.cert,
    key: conn.tls.key,
    checkServerIdentity: (_h, cert) => checkIp(t.host, cert.subjectaltname),
  }) as TLSSocket;
}

function checkIp(ip: string, san: string | undefined): Error | undefined {
  return (san ?? '').split(', ').includes(`IP Address:${ip}`)
    ? undefined
    : new Error(`kubelet certificate is not valid for ${ip}`);
}

const HOP = new Set([
  'authorization',
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'impersonate-user',
  'impersonate-group',
]);

/** A plain request (pods/log, nodes/proxy, services/proxy): the response is streamed back. */
export function proxyRequest(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  s: RequestScope,
): Promise<void> {
  const conn = ctx.kubelet;
  if (!conn) throw new ApiError(503, 'ServiceUnavailable', 'this apiserver has no connection to the nodes');
  const t = proxyTarget(ctx, s);
  return new Promise((resolve) => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
    headers.host = `${t.host}:${t.port}`;
    const out = httpRequest(
      { method: req.method, path: t.path, headers, createConnection: () => connectTarget(conn, t) as never },
      (up) => {
        res.writeHead(up.statusCode ?? 502, filterHeaders(up.headers));
        res.flushHeaders();
        up.pipe(res);
        up.on('end', resolve);
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
          message: `error dialing backend: ${err.message}`,
          reason: 'InternalError',
          code: 500,
        });
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(body);
      } else res.destroy();
      resolve();
    });
    res.on('close', () => out.destroy());
    req.pipe(out);
  });
}

function filterHeaders(h: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h))
    if (v !== undefined && k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding') out[k] = v;
  return out;
}

/** An upgrade (WebSocket or SPDY): the request goes on to the kubelet, then bytes flow both ways. */
export function proxyUpgrade(
  ctx: ApiContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  s: RequestScope,
): void {
  const conn = ctx.kubelet;
  if (!conn) throw new ApiError(503, 'ServiceUnavailable', 'this apiserver has no connection to the nodes');
  const t = proxyTarget(ctx, s);
  const up = connectTarget(conn, t);
  const lines = [`${req.method} ${t.path} HTTP/1.1`, `Host: ${t.host}:${t.port}`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const k = req.rawHeaders[i]!;
    const lower = k.toLowerCase();
    if (lower === 'authorization' || lower === 'host' || lower.startsWith('impersonate-')) continue;
    lines.push(`${k}: ${req.rawHeaders[i + 1]}`);
  }
  up.write(lines.join('\r\n') + '\r\n\r\n');
  if (head.length) up.write(head);
  const end = () => {
    socket.destroy();
    up.destroy();
  };
  up.on('error', (err) => {
    if (socket.writable && !(up as TLSSocket).authorized)
      socket.end(
        `HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nerror dialing backend: ${err.message}\n`,
      );
    else end();
  });
  socket.on('error', end);
  up.on('close', () => socket.end());
  socket.on('close', () => up.destroy());
  splice(up, socket);
  splice(socket, up);
  if ('setNoDelay' in socket) (socket as unknown as { setNoDelay(v: boolean): void }).setNoDelay(true);
}

/**
 * `from.pipe(to)` for a spliced upgrade, with bulk reads gathered: a TLS socket hands out at most
 * 16 KiB per read, and writing each on its own costs an encryption call, a write(2) and a
 * stream round trip apiece. Reads of a full record are corked until the loop has read what is
 * there (setImmediate) and leave as one write; a short read (a keystroke, a status) leaves at once.
 */
function splice(from: Duplex, to: Duplex): void {
  let corked = false;
  const flush = () => {
    corked = false;
    to.uncork();
  };
  from.on('data', (b: Buffer) => {
    if (b.length >= 16384 && !corked) {
      corked = true;
      to.cork();
      setImmediate(flush);
    }
    // Backpressure past 256 KiB (a corked batch may pass the socket's 16 KiB mark on purpose).
    if (!to.write(b) && to.writableLength > 262144 && !from.isPaused()) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.on('end', () => {
    if (corked) flush();
    to.end();
  });
}
