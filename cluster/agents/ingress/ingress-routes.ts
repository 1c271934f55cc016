// The Ingress controller's routing table, computed on the control plane's side from Ingress and
// Service objects (networking.k8s.io/v1): host + path (Exact, or Prefix by path segments) → the
// backend Service's cluster IP and port. Most specific first: exact hosts before the catch-all,
// Exact before Prefix, longer paths before shorter ones. Pure.
import type { KubeObject, Service } from '../../../common/api-types.js';

export interface IngressRoute {
  /** '' matches any host. */
  host: string;
  path: string;
  pathType: 'Exact' | 'Prefix';
  backend: { ip: string; port: number };
  /** `<ns>/<ingress>` for logs. */
  ingress: string;
}

interface IngressBackend {
  service?: { name: string; port?: { number?: number; name?: string } };
}

export interface Ingress extends KubeObject {
  spec?: {
    defaultBackend?: IngressBackend;
    rules?: { host?: string; http?: { paths?: { path?: string; pathType?: string; backend: IngressBackend }[] } }[];
  };
}

export function ingressRoutes(ingresses: Ingress[], services: Service[]): IngressRoute[] {
  const svc = new Map(services.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
  const resolve = (ns: string, b: IngressBackend | undefined): IngressRoute['backend'] | undefined => {
    const s = b?.service && svc.get(`${ns}/${b.service.name}`);
    const ip = s?.spec?.clusterIP;
    if (!s || !ip || ip === 'None') return undefined;
    const want = b!.service!.port;
    const port = (s.spec?.ports ?? []).find((p) =>
      want?.number !== undefined ? p.port === want.number : want?.name !== undefined ? p.name === want.name : true,
    );
    return port ? { ip, port: port.port } : undefined;
  };
  const out: IngressRoute[] = [];
  for (const ing of ingresses) {
    const ns = ing.metadata.namespace ?? 'default';
    const name = `${ns}/${ing.metadata.name}`;
    for (const r of ing.spec?.rules ?? []) {
      for (const p of r.http?.paths ?? []) {
        const backend = resolve(ns, p.backend);
        if (!backend) continue;
        const pathType = p.pathType === 'Exact' ? 'Exact' : 'Prefix';
        out.push({ host: (r.host ?? '').toLowerCase(), path: p.path || '/', pathType, backend, ingress: name });
      }
    }
    const def = resolve(ns, ing.spec?.defaultBackend);
    if (def) out.push({ host: '', path: '/', pathType: 'Prefix', backend: def, ingress: name });
  }
  return out.sort(
    (a, b) =>
      Number(!a.host) - Number(!b.host) ||
      Number(a.pathType === 'Prefix') - Number(b.pathType === 'Prefix') ||
      b.path.length - a.path.length,
  );
}

/** The first route for a request's host and path (Prefix matches whole path segments). */
export function matchRoute(routes: IngressRoute[], host: string, path: string): IngressRoute | undefined {
  const h = host.replace(/:\d+$/, '').toLowerCase();
  return routes.find((r) => {
    if (
      r.host &&
      r.host !== h &&
      !(r.host.startsWith('*.') && h.endsWith(r.host.slice(1)) && h.split('.').length === r.host.split('.').length)
    )
      return false;
    if (r.pathType === 'Exact') return path === r.path;
    const prefix = r.path.replace(/\/+$/, '');
    return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
  });
}
