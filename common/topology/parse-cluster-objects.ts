// The topology's cluster-level sections: `kubeProxy` (which kube-proxy backend and rule format the
// nodes run), `controlPlane` (the scheduler and controller manager as replicated processes) and
// `objects` (Kubernetes objects the cluster daemon creates through the apiserver when the lab
// comes up, such as the article's kubia Deployment and Service). Objects are checked here only as
// far as kubewire reads them — kind, name, and a Deployment's pinned pods, whose nodes, IPs and
// names must fit the topology; the apiserver validates the rest when it gets them.
import { cidrContains, cidrSize, formatIpv4, parseCidr, parseIpv4, type Cidr } from '../net/ipv4.js';
import { ValidationError } from '../errors.js';
import type { FieldReader, Plain } from './field-reader.js';
import { DNS_LABEL_RE } from './parse-pod.js';
import { ANNOTATION_PINNED_PODS, parsePodPins, type PodPin } from './pod-pins.js';
import type { ClusterObject, ControlPlaneSpec, KubeProxySpec, NodeSpec, StoreSpec } from './types.js';

export const PROXY_MODES = ['iptables', 'nftables'] as const;
export const PROXY_RULE_FORMATS = ['current', 'article'] as const;

/** Kinds the daemon knows how to create (apiVersion → kinds). */
export const OBJECT_KINDS: Record<string, readonly string[]> = {
  v1: ['Service', 'ConfigMap', 'Pod', 'ReplicationController', 'Namespace'],
  'apps/v1': ['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet'],
  'batch/v1': ['Job'],
};

export function parseKubeProxy(f: FieldReader): KubeProxySpec {
  if (!f.present) return { mode: 'iptables', rules: 'current' };
  f.object(['mode', 'rules']);
  const mode = f.child('mode').string({ optional: true }) || 'iptables';
  if (!(PROXY_MODES as readonly string[]).includes(mode))
    f.child('mode').fail(`must be one of ${PROXY_MODES.join(', ')}`);
  const rules = f.child('rules').string({ optional: true }) || 'current';
  if (!(PROXY_RULE_FORMATS as readonly string[]).includes(rules))
    f.child('rules').fail(`must be one of ${PROXY_RULE_FORMATS.join(', ')}`);
  if (mode === 'nftables' && rules !== 'current')
    f.child('rules').fail('the nftables backend has one format (kube-proxy 1.31+): leave rules out or set "current"');
  return { mode: mode as KubeProxySpec['mode'], rules: rules as KubeProxySpec['rules'] };
}

/** Most control-plane replicas a lab runs: each is a Node process on a 2-core machine. */
export const MAX_CONTROL_PLANE_REPLICAS = 3;

/** Member counts an etcd store may have: a majority of 3 survives one loss, of 5 two. */
export const ETCD_MEMBER_COUNTS = [1, 3, 5] as const;

/** What the store's member addresses must fit: the node network and the addresses already taken. */
export interface StoreContext {
  nodeNet: Cidr;
  /** Taken addresses of the node network (the gateway's, the nodes') and who has them. */
  taken: Map<number, string>;
  nodeNames: ReadonlySet<string>;
}

export function parseControlPlane(f: FieldReader, ctx?: StoreContext): ControlPlaneSpec {
  if (!f.present) return { replicas: 0 };
  f.object(['replicas', 'store']);
  const spec: ControlPlaneSpec = { replicas: f.child('replicas').int(0, MAX_CONTROL_PLANE_REPLICAS, 0) };
  const store = f.child('store');
  if (store.present && ctx) {
    const parsed = parseStore(store, ctx);
    if (parsed) spec.store = parsed;
  }
  return spec;
}

/**
 * `store: { kind: etcd, members: 3, addresses: [...] }`: `kind: sqlite` (the default) is the
 * in-process revision log; etcd members get the given node-network addresses or, without them,
 * the highest free ones (below the broadcast address, skipping the gateway's and the nodes').
 */
function parseStore(f: FieldReader, ctx: StoreContext): StoreSpec | undefined {
  f.object(['kind', 'members', 'addresses']);
  const kind = f.child('kind').string();
  if (kind === 'sqlite') {
    for (const k of ['members', 'addresses']) if (f.child(k).present) f.child(k).fail('only an etcd store has members');
    return undefined;
  }
  if (kind !== 'etcd') f.child('kind').fail('must be "sqlite" (the default) or "etcd"');
  const count = f.child('members').int(1, 5, 3);
  if (!(ETCD_MEMBER_COUNTS as readonly number[]).includes(count))
    f.child('members').fail(`must be ${ETCD_MEMBER_COUNTS.join(', ')} (an odd count: a majority decides)`);
  const names = Array.from({ length: count }, (_, i) => `etcd${i}`);
  for (const n of names)
    if (ctx.nodeNames.has(n)) f.fail(`a node is named ${n}, the name (and namespace suffix) of an etcd member`);
  const taken = new Map(ctx.taken);
  const addrField = f.child('addresses');
  let addresses: number[];
  if (addrField.present) {
    const list = addrField.list();
    if (list.length !== count) addrField.fail(`lists ${list.length} addresses for ${count} members`);
    addresses = list.map((a) => {
      const ip = a.parsed(parseIpv4)!;
      if (!cidrContains(ctx.nodeNet, ip))
        a.fail(`${formatIpv4(ip)} is outside nodeNetwork ${formatIpv4(ctx.nodeNet.network)}/${ctx.nodeNet.length}`);
      if (ip === ctx.nodeNet.network || ip === ctx.nodeNet.network + cidrSize(ctx.nodeNet) - 1)
        a.fail(`${formatIpv4(ip)} is the network or broadcast address of nodeNetwork`);
      if (taken.has(ip)) a.fail(`${formatIpv4(ip)} is already used by ${taken.get(ip)}`);
      taken.set(ip, a.path);
      return ip;
    });
  } else {
    addresses = [];
    for (
      let ip = ctx.nodeNet.network + cidrSize(ctx.nodeNet) - 2;
      ip > ctx.nodeNet.network && addresses.length < count;
      ip--
    )
      if (!taken.has(ip)) addresses.push(ip);
    if (addresses.length < count) f.fail(`nodeNetwork has no ${count} free addresses for the etcd members`);
  }
  return { kind: 'etcd', members: names.map((name, i) => ({ name, address: formatIpv4(addresses[i]!) })) };
}

export function parseClusterObjects(f: FieldReader, nodes: readonly NodeSpec[]): ClusterObject[] {
  const seen = new Map<string, string>();
  const staticPods = new Map(nodes.flatMap((n) => n.pods.map((p) => [`${p.namespace}/${p.name}`, n.name] as const)));
  const usedIps = new Map<string, string>(
    nodes.flatMap((n) =>
      n.pods.filter((p) => p.ip).map((p) => [p.ip!, `static pod ${p.namespace}/${p.name}`] as const),
    ),
  );
  return f.list().map((o) => {
    o.object();
    const apiVersion = o.child('apiVersion').string();
    const kinds = OBJECT_KINDS[apiVersion];
    if (!kinds) o.child('apiVersion').fail(`must be one of ${Object.keys(OBJECT_KINDS).join(', ')}`);
    const kind = o.child('kind').string();
    if (!kinds.includes(kind)) o.child('kind').fail(`${apiVersion} kinds kubewire creates: ${kinds.join(', ')}`);
    const meta = o.child('metadata').object();
    const label = {
      pattern: DNS_LABEL_RE,
      describe: 'is not a valid Kubernetes name (lowercase letters, digits and -, at most 63)',
    };
    const name = meta.child('name').string(label);
    const namespace =
      kind === 'Namespace' ? '' : meta.child('namespace').string({ ...label, optional: true }) || 'default';
    const key = `${kind} ${namespace}/${name}`;
    if (seen.has(key)) o.fail(`duplicate ${key} (also at ${seen.get(key)})`);
    seen.set(key, o.path);
    const pinsField: FieldReader = meta.child('annotations').child(ANNOTATION_PINNED_PODS);
    if (pinsField.present) {
      if (kind !== 'Deployment' && kind !== 'ReplicaSet')
        pinsField.fail('only a Deployment or ReplicaSet can pin its pods');
      let pins: PodPin[] = [];
      try {
        pins = parsePodPins(pinsField.string());
      } catch (err) {
        pinsField.fail(err instanceof ValidationError ? `${err.where}: ${err.problem}` : String(err));
      }
      for (const pin of pins) {
        const node: NodeSpec | undefined = nodes.find((n) => n.name === pin.node);
        if (!node) return pinsField.fail(`pod ${pin.name}: no node ${pin.node} in this topology`);
        if (staticPods.has(`${namespace}/${pin.name}`))
          pinsField.fail(
            `pod ${pin.name}: a static pod of ${staticPods.get(`${namespace}/${pin.name}`)} has that name`,
          );
        if (pin.ip) {
          const sub = parseCidr(node.subnet);
          const ip = parseIpv4(pin.ip);
          if (!cidrContains(sub, ip))
            pinsField.fail(`pod ${pin.name}: ${pin.ip} is outside ${node.name}'s subnet ${node.subnet}`);
          if (ip === sub.network || ip === sub.network + 1 || ip === sub.network + cidrSize(sub) - 1)
            pinsField.fail(`pod ${pin.name}: ${pin.ip} is reserved in ${node.subnet}`);
          if (usedIps.has(pin.ip))
            pinsField.fail(`pod ${pin.name}: ${pin.ip} is already used by ${usedIps.get(pin.ip)}`);
          usedIps.set(pin.ip, `pinned pod ${pin.name}`);
        }
        if (pin.mac && parseInt(pin.mac.slice(0, 2), 16) & 1)
          pinsField.fail(`pod ${pin.name}: ${pin.mac} must be a unicast MAC`);
      }
    }
    return { apiVersion, kind, name, ...(namespace ? { namespace } : {}), manifest: o.value as Plain };
  });
}
