// The admission configuration the apiserver holds in memory: MutatingWebhookConfigurations,
// ValidatingWebhookConfigurations, ValidatingAdmissionPolicies and their bindings, loaded by a list
// + watch of the store and told about this apiserver's own writes at once (a configuration created by
// one request applies to the next). Webhooks are ordered as kube's sources order them: by
// configuration name, then in the configuration's order.
import type { KObject, ObjectStore } from '../../registry/object-store.js';
import type { ResourceCatalog, ResourceInfo } from '../../resources.js';

const GROUP = 'admissionregistration.k8s.io';
export const CONFIG_PLURALS = [
  'mutatingwebhookconfigurations',
  'validatingwebhookconfigurations',
  'validatingadmissionpolicies',
  'validatingadmissionpolicybindings',
] as const;
type Plural = (typeof CONFIG_PLURALS)[number];

/** One webhook of a configuration, with kube's v1 defaults filled in. */
export interface Webhook {
  /** configuration/name/index: what reinvocation bookkeeping keys on. */
  uid: string;
  configurationName: string;
  mutating: boolean;
  spec: KObject;
}

export class AdmissionConfigurations {
  private readonly objects = new Map<Plural, Map<string, KObject>>(CONFIG_PLURALS.map((p) => [p, new Map()]));
  private readonly deletedAt = new Map<string, number>();
  private cache: { mutating: Webhook[]; validating: Webhook[] } | undefined;
  /** Bumped on every change (compiled policies key their caches on it). */
  generation = 0;
  /** Count of webhooks configured (0: the request path never awaits). */
  webhookCount = 0;
  policyCount = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly catalog: ResourceCatalog,
  ) {}

  private resource(p: Plural): ResourceInfo {
    return this.catalog.find(GROUP, 'v1', p)!;
  }

  /** Loads what is stored and follows later writes; returns the stopper. */
  start(): () => void {
    const stops: (() => void)[] = [];
    for (const p of CONFIG_PLURALS) {
      const r = this.resource(p);
      const list = this.store.list(r, '');
      for (const o of list.items) this.observe(r, o, false);
      const w = this.store.watch(
        r,
        '',
        Number(list.resourceVersion),
        (events) => {
          for (const e of events) this.observe(r, e.object, e.type === 'DELETED');
        },
        () => undefined,
      );
      stops.push(() => w.stop());
    }
    return () => stops.forEach((s) => s());
  }

  observe(r: ResourceInfo, obj: KObject, deleted: boolean): void {
    if (r.group !== GROUP || !(CONFIG_PLURALS as readonly string[]).includes(r.plural)) return;
    const byName = this.objects.get(r.plural as Plural)!;
    const name = String(obj.metadata?.name ?? '');
    const rv = Number(obj.metadata?.resourceVersion);
    const cur = byName.get(name);
    if (cur && Number(cur.metadata?.resourceVersion) > rv) return;
    const key = `${r.plural}/${name}`;
    if ((this.deletedAt.get(key) ?? 0) >= rv) return;
    if (deleted) {
      byName.delete(name);
      this.deletedAt.set(key, rv);
    } else byName.set(name, obj);
    this.cache = undefined;
    this.generation++;
    this.webhookCount = 0;
    for (const p of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'] as const)
      for (const c of this.objects.get(p)!.values()) this.webhookCount += (c.webhooks ?? []).length;
    this.policyCount = this.objects.get('validatingadmissionpolicies')!.size;
  }

  private hooks(): { mutating: Webhook[]; validating: Webhook[] } {
    if (this.cache) return this.cache;
    const list = (p: Plural, mutating: boolean): Webhook[] =>
      [...this.objects.get(p)!.values()]
        .sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)))
        .flatMap((c) =>
          ((c.webhooks ?? []) as KObject[]).map((w, i) => ({
            uid: `${c.metadata?.name}/${w.name}/${i}`,
            configurationName: String(c.metadata?.name),
            mutating,
            spec: w,
          })),
        );
    this.cache = {
      mutating: list('mutatingwebhookconfigurations', true),
      validating: list('validatingwebhookconfigurations', false),
    };
    return this.cache;
  }

  get mutatingWebhooks(): Webhook[] {
    return this.hooks().mutating;
  }

  get validatingWebhooks(): Webhook[] {
    return this.hooks().validating;
  }

  policies(): KObject[] {
    return [...this.objects.get('validatingadmissionpolicies')!.values()].sort((a, b) =>
      String(a.metadata?.name).localeCompare(String(b.metadata?.name)),
    );
  }

  bindingsOf(policy: string): KObject[] {
    return [...this.objects.get('validatingadmissionpolicybindings')!.values()]
      .filter((b) => b.spec?.policyName === policy)
      .sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
  }
}
