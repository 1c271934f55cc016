// A container's environment as the kubelet builds it: service variables of the pod's namespace
// (FOO_SERVICE_HOST/PORT and the Docker-link ones, enableServiceLinks), envFrom, then env with
// valueFrom (fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef); $(VAR) references
// expanded against what came before, as kubelet's expansion does.
import type { Container, KubeObject, Pod, Service } from '../../../common/api-types.js';
import type { KubeClient } from '../../client/kube-client.js';
import { Resources } from '../../client/resources.js';

type DataObject = KubeObject & { data?: Record<string, string> };

export class EnvError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EnvError';
  }
}

/** metadata.name, metadata.labels['x'], status.podIP … of a pod, as a string. */
export function downwardField(pod: Pod, path: string, extra: { podIP?: string; hostIP?: string } = {}): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (pod.metadata[m[1] as 'labels' | 'annotations'] ?? {})[m[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? 'default';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'metadata.labels':
      return Object.entries(pod.metadata.labels ?? {})
        .map(([k, v]) => `${k}="${v}"`)
        .join('\n');
    case 'metadata.annotations':
      return Object.entries(pod.metadata.annotations ?? {})
        .map(([k, v]) => `${k}="${v}"`)
        .join('\n');
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.podIPs':
      return extra.podIP ?? pod.status?.podIP ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return extra.hostIP ?? pod.status?.hostIP ?? '';
    default:
      throw new EnvError(`unsupported fieldPath ${path}`);
  }
}

/**
 * The Services whose variables a pod gets (getServiceEnvVarMap): its namespace's when service
 * links are on, and always default/kubernetes — KUBERNETES_SERVICE_HOST/PORT are how in-cluster
 * clients find the apiserver — unless a Service of that name in the pod's namespace replaces it.
 */
export function linkedServices(ns: string, services: Service[], links: boolean): Service[] {
  const byName = new Map<string, Service>();
  for (const s of services) {
    const name = s.metadata.name ?? '';
    if (s.metadata.namespace === 'default' && name === 'kubernetes') {
      if (!byName.has(name)) byName.set(name, s);
    } else if (s.metadata.namespace === ns && links) byName.set(name, s);
  }
  return [...byName.values()];
}

/** FOO_SERVICE_HOST, FOO_SERVICE_PORT, FOO_PORT_80_TCP… for each Service with a cluster IP. */
export function serviceEnv(services: Service[]): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const s of [...services].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))) {
    const ip = s.spec?.clusterIP;
    if (!ip || ip === 'None' || !s.spec?.ports?.length) continue;
    const base = (s.metadata.name ?? '').toUpperCase().replace(/-/g, '_');
    const first = s.spec.ports[0]!;
    out.push({ name: `${base}_SERVICE_HOST`, value: ip }, { name: `${base}_SERVICE_PORT`, value: String(first.port) });
    for (const p of s.spec.ports)
      if (p.name)
        out.push({ name: `${base}_SERVICE_PORT_${p.name.toUpperCase().replace(/-/g, '_')}`, value: String(p.port) });
    const proto = (first.protocol ?? 'TCP').toLowerCase();
    out.push({ name: `${base}_PORT`, value: `${proto}://${ip}:${first.port}` });
    for (const p of s.spec.ports) {
      const pr = (p.protocol ?? 'TCP').toLowerCase();
      const key = `${base}_PORT_${p.port}_${pr.toUpperCase()}`;
      out.push(
        { name: key, value: `${pr}://${ip}:${p.port}` },
        { name: `${key}_PROTO`, value: pr },
        { name: `${key}_PORT`, value: String(p.port) },
        { name: `${key}_ADDR`, value: ip },
      );
    }
  }
  return out;
}

export function expandRefs(value: string, env: Map<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, name: string | undefined) => {
    if (!name) return '$';
    return env.has(name) ? env.get(name)! : all;
  });
}

export class ContainerEnv {
  constructor(private readonly client: KubeClient) {}

  async build(
    pod: Pod,
    c: Container,
    services: Service[],
    extra: { podIP?: string; hostIP?: string },
  ): Promise<{ name: string; value: string }[]> {
    const ns = pod.metadata.namespace ?? 'default';
    const env = new Map<string, string>();
    for (const e of serviceEnv(linkedServices(ns, services, pod.spec.enableServiceLinks !== false)))
      env.set(e.name, e.value);
    for (const src of c.envFrom ?? []) {
      const ref = src.configMapRef ?? src.secretRef;
      if (!ref) continue;
      const obj = await this.object(src.configMapRef ? 'configmaps' : 'secrets', ns, ref.name, !!ref.optional);
      for (const [k, v] of Object.entries(obj?.data ?? {}))
        env.set(`${src.prefix ?? ''}${k}`, src.secretRef ? Buffer.from(v, 'base64').toString() : v);
    }
    for (const e of c.env ?? []) {
      if (e.value !== undefined || !e.valueFrom) {
        env.set(e.name, expandRefs(e.value ?? '', env));
        continue;
      }
      const vf = e.valueFrom;
      if (vf.fieldRef) env.set(e.name, downwardField(pod, vf.fieldRef.fieldPath, extra));
      else if (vf.resourceFieldRef) env.set(e.name, resourceField(pod, c, vf.resourceFieldRef));
      else {
        const sel = vf.configMapKeyRef ?? vf.secretKeyRef!;
        const obj = await this.object(
          vf.configMapKeyRef ? 'configmaps' : 'secrets',
          ns,
          sel.name ?? '',
          !!sel.optional,
        );
        const raw = obj?.data?.[sel.key];
        if (raw === undefined) {
          if (sel.optional) continue;
          throw new EnvError(
            `couldn't find key ${sel.key} in ${vf.configMapKeyRef ? 'ConfigMap' : 'Secret'} ${ns}/${sel.name}`,
          );
        }
        env.set(e.name, vf.secretKeyRef ? Buffer.from(raw, 'base64').toString() : raw);
      }
    }
    return [...env].map(([name, value]) => ({ name, value }));
  }

  private async object(
    kind: 'configmaps' | 'secrets',
    ns: string,
    name: string,
    optional: boolean,
  ): Promise<DataObject | undefined> {
    try {
      return await this.client.resource<DataObject>(Resources[kind]).get(name, ns);
    } catch (err) {
      if (optional) return undefined;
      throw new EnvError(`${kind === 'configmaps' ? 'configmap' : 'secret'} "${name}" not found`, { cause: err });
    }
  }
}

function resourceField(
  pod: Pod,
  c: Container,
  ref: { resource: string; containerName?: string; divisor?: string },
): string {
  const target = ref.containerName ? (pod.spec.containers.find((x) => x.name === ref.containerName) ?? c) : c;
  const [kind, res] = ref.resource.split('.') as ['limits' | 'requests', string];
  const q = target.resources?.[kind]?.[res];
  if (res === 'cpu') {
    const milli = q ? (q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000) : 2000;
    const div = ref.divisor
      ? ref.divisor.endsWith('m')
        ? Number(ref.divisor.slice(0, -1))
        : Number(ref.divisor) * 1000
      : 1000;
    return String(Math.ceil(milli / div));
  }
  return q ?? '0';
}
