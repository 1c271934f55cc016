// API aggregation (apiregistration.k8s.io/v1): which group-versions APIServices hand to a Service
// in the lab, and whether each is Available — the availability controller's checks (Service
// exists, has a ready endpoint, the backend answers its discovery document), written into
// status.conditions as kube-aggregator writes them. The backend's APIResourceList is kept for
// discovery (/apis, aggregated discovery), so `kubectl top` finds metrics.k8s.io.
import { rfc3339, type Clock } from '../clock.js';
import type { KubeletConnector } from '../http/kubelet-proxy.js';
import type { KObject, ObjectStore } from '../registry/object-store.js';
import type { ResourceCatalog, ResourceInfo } from '../resources.js';
import { backendRequest, resolveBackend, type Backend } from './backend.js';

export interface RemoteGroupVersion {
  name: string;
  group: string;
  version: string;
  service: { namespace: string; name: string; port: number };
  insecureSkipTLSVerify: boolean;
  caBundle?: Buffer;
  groupPriorityMinimum: number;
  versionPriority: number;
  available: boolean;
  /** The backend's APIResourceList, once it answered. */
  resources?: KObject;
}

export class ApiServiceRegistry {
  private readonly remotes = new Map<string, RemoteGroupVersion>();
  /** Bumped when what discovery shows changes. */
  generation = 0;
  private timer?: NodeJS.Timeout;
  private checking = false;

  constructor(
    private readonly catalog: ResourceCatalog,
    private readonly store: ObjectStore,
    private readonly clock: Clock,
    private readonly connector: () => KubeletConnector | undefined,
    private readonly log: (line: string) => void = () => {},
  ) {}

  private resource(): ResourceInfo {
    return this.catalog.find('apiregistration.k8s.io', 'v1', 'apiservices')!;
  }

  /** Loads the stored APIServices and checks them every intervalMs (after `eachRound`); returns the stopper. */
  start(intervalMs = 10_000, eachRound: () => void = () => {}): () => void {
    for (const o of this.store.list(this.resource(), '').items) this.observe(o, false);
    this.timer = setInterval(() => {
      try {
        eachRound();
      } catch (err) {
        this.log(`apiserver: ${err instanceof Error ? err.message : String(err)}`);
      }
      void this.checkAll();
    }, intervalMs);
    this.timer.unref();
    void this.checkAll();
    return () => clearInterval(this.timer);
  }

  remote(group: string, version: string): RemoteGroupVersion | undefined {
    return this.remotes.get(`${group}/${version}`);
  }

  all(): RemoteGroupVersion[] {
    return [...this.remotes.values()];
  }

  observe(o: KObject, deleted: boolean): void {
    const spec = o.spec ?? {};
    for (const [k, r] of this.remotes) if (r.name === o.metadata?.name) this.remotes.delete(k);
    if (!deleted && spec.service?.name) {
      const prev = this.remotes.get(`${spec.group}/${spec.version}`);
      this.remotes.set(`${spec.group}/${spec.version}`, {
        name: o.metadata!.name,
        group: spec.group,
        version: spec.version,
        service: { namespace: spec.service.namespace, name: spec.service.name, port: spec.service.port ?? 443 },
        insecureSkipTLSVerify: !!spec.insecureSkipTLSVerify,
        caBundle: spec.caBundle ? Buffer.from(spec.caBundle, 'base64') : undefined,
        groupPriorityMinimum: spec.groupPriorityMinimum ?? 0,
        versionPriority: spec.versionPriority ?? 0,
        available: prev?.available ?? false,
        resources: prev?.resources,
      });
      setImmediate(() => void this.checkAll());
    }
    this.generation++;
  }

  async checkAll(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const o of this.store.list(this.resource(), '').items) await this.check(o);
    } catch (err) {
      this.log(`apiserver: APIService availability check failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.checking = false;
    }
  }

  private async check(o: KObject): Promise<void> {
    const spec = o.spec ?? {};
    let cond: { status: string; reason: string; message?: string };
    const remote = this.remotes.get(`${spec.group}/${spec.version}`);
    if (!spec.service?.name)
      cond = { status: 'True', reason: 'Local', message: 'Local APIServices are always available' };
    else if (!remote) return;
    else cond = await this.probe(remote);
    const ok = cond.status === 'True';
    if (remote && remote.available !== ok) {
      remote.available = ok;
      this.generation++;
    }
    const prev = ((o.status?.conditions ?? []) as KObject[]).find((c) => c.type === 'Available');
    if (prev && prev.status === cond.status && prev.reason === cond.reason && prev.message === cond.message) return;
    const next = structuredClone(o);
    next.status = {
      conditions: [
        {
          type: 'Available',
          status: cond.status,
          lastTransitionTime: prev?.status === cond.status ? prev.lastTransitionTime : rfc3339(this.clock.now()),
          reason: cond.reason,
          ...(cond.message ? { message: cond.message } : {}),
        },
      ],
    };
    try {
      this.store.update(this.resource(), '', next, Number(o.metadata!.resourceVersion));
    } catch {
      // Changed meanwhile: the next round looks again.
    }
  }

  /** kube-aggregator's availability check, in its words. */
  private async probe(r: RemoteGroupVersion): Promise<{ status: string; reason: string; message?: string }> {
    const conn = this.connector();
    let backend: Backend;
    try {
      backend = resolveBackend(this.catalog, this.store, r);
    } catch (err) {
      return {
        status: 'False',
        reason: (err as Error & { reason?: string }).reason ?? 'ServiceNotFound',
        message: (err as Error).message,
      };
    }
    if (!conn)
      return {
        status: 'False',
        reason: 'FailedDiscoveryCheck',
        message: 'this apiserver has no connection to the lab network',
      };
    try {
      const res = await backendRequest(conn, backend, r, 'GET', `/apis/${r.group}/${r.version}`, {}, 5_000);
      if (res.status !== 200)
        return {
          status: 'False',
          reason: 'FailedDiscoveryCheck',
          message: `failing or missing response from ${backend.url}/apis/${r.group}/${r.version}: bad status from ${backend.url}/apis/${r.group}/${r.version}: ${res.status}`,
        };
      try {
        r.resources = JSON.parse(res.body.toString('utf8')) as KObject;
      } catch {
        r.resources = undefined;
      }
      return { status: 'True', reason: 'Passed', message: 'all checks passed' };
    } catch (err) {
      return {
        status: 'False',
        reason: 'FailedDiscoveryCheck',
        message: `failing or missing response from ${backend.url}/apis/${r.group}/${r.version}: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }
}
