// The topology's cluster-level sections: `kubeProxy` (which kube-proxy backend and rule format the
// nodes run), `controlPlane` (the scheduler and controller manager as replicated processes) and
// `objects` (Kubernetes objects the cluster daemon creates through the apiserver when the lab
// comes up, such as the article's kubia Deployment and Service). Objects are checked here only as
// far as kubewire reads them — kind, name, and a Deployment's pinned pods, whose nodes, IPs and
// names must fit the topology; the apiserver validates the rest when it gets them.
import { cidrContains, cidrSize, parseCidr, parseIpv4 } from '../net/ipv4.js';
import { ValidationError } from '../errors.js';
import type { FieldReader, Plain } from './field-reader.js';
import { DNS_LABEL_RE } from './parse-pod.js';
import { ANNOTATION_PINNED_PODS, parsePodPins, type PodPin } from './pod-pins.js';
import type { ClusterObject, ControlPlaneSpec, KubeProxySpec, NodeSpec } from './types.js';

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

export function parseControlPlane(f: FieldReader): ControlPlaneSpec {
  if (!f.present) return { replicas: 0 };
  f.object(['replicas']);
  return { replicas: f.child('replicas').int(0, MAX_CONTROL_PLANE_REPLICAS, 0) };
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
