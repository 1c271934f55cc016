// Reads a topology file (YAML) into a validated Topology. Everything that later becomes a kernel
// object name, an address or an argument of a privileged helper is checked here, before anything
// is created; a problem throws a ValidationError naming file, field and what is wrong.
import { LAB_NAME, LAB_PREFIX } from '../names.js';
import { ValidationError } from '../errors.js';
import { MAX_YAML_DEPTH, parseYamlDocument, YamlTooDeepError } from '../yaml-depth.js';
import {
  cidrContains,
  cidrContainsCidr,
  cidrSize,
  cidrsOverlap,
  formatIpv4,
  parseCidr,
  parseIpv4,
  type Cidr,
} from '../net/ipv4.js';
import { FieldReader } from './field-reader.js';
import { parsePodManifest } from './parse-pod.js';
import { parseClusterObjects, parseControlPlane, parseKubeProxy } from './parse-cluster-objects.js';
import { RESERVED_NODE_NAMES, type InternetHost, type NodeSpec, type Topology } from './types.js';

/** Linux interface names are at most 15 characters (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15;
const NODE_NAME_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const HOSTNAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const BRIDGE_NAME_RE = /^[a-z][a-z0-9]{0,9}$/;

/**
 * Limits a lab is held to (labs/README.md): what one machine builds in reasonable time and what
 * `reset` removes quickly. Checked here, before the first kernel change.
 */
export const LIMITS = { nodes: 64, podsPerLab: 1000 } as const;

const TOP_FIELDS = [
  'apiVersion',
  'kind',
  'name',
  'prefix',
  'nodeNetwork',
  'podNetwork',
  'serviceNetwork',
  'flannel',
  'gateway',
  'internet',
  'nodes',
  'kubeProxy',
  'objects',
  'controlPlane',
];

export interface ParseOptions {
  /** Overrides the file's prefix (tests run their own `kw-t<hex>-` labs). */
  prefix?: string;
}

export function parseTopology(text: string, file: string, opts: ParseOptions = {}): Topology {
  let doc;
  try {
    // Depth-checked before yaml's recursive composer, which overflows on a deep file (yaml-depth.ts).
    doc = parseYamlDocument(text, { uniqueKeys: true });
  } catch (err) {
    if (!(err instanceof YamlTooDeepError)) throw err;
    throw new ValidationError(file, `malformed YAML: nested deeper than ${MAX_YAML_DEPTH} levels`);
  }
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new ValidationError(
      pos ? `${file}:${pos.line}:${pos.col}` : file,
      `malformed YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
    );
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (cause) {
    // yaml refuses an alias bomb (ReferenceError "Excessive alias count") only while converting.
    throw new ValidationError(file, `malformed YAML: ${(cause as Error).message}`);
  }
  const root = new FieldReader(file, '', value).object(TOP_FIELDS);
  const apiVersion = root.child('apiVersion').string({ optional: true });
  if (apiVersion && apiVersion !== 'kubewire.io/v1alpha1')
    root.child('apiVersion').fail(`must be kubewire.io/v1alpha1`);
  const kind = root.child('kind').string({ optional: true });
  if (kind && kind !== 'Topology') root.child('kind').fail('must be Topology');

  const name = root
    .child('name')
    .string({ pattern: LAB_NAME, describe: 'must be lowercase letters, digits and -, at most 32 characters' });
  // Present means meant: an empty or odd prefix is an error, never the default lab's `kw-` (a
  // second lab would be built on top of the running one).
  let prefix = root.child('prefix').present ? root.child('prefix').string() : 'kw-';
  if (opts.prefix !== undefined) prefix = opts.prefix;
  if (!LAB_PREFIX.test(prefix)) {
    (opts.prefix !== undefined
      ? new FieldReader(file, 'prefix (from the command line)', prefix)
      : root.child('prefix')
    ).fail(
      `${JSON.stringify(prefix)} must be "kw-" optionally followed by [a-z0-9-] ending with "-" (at most 23 characters, so lib.sh takes it too)`,
    );
  }

  const cidrField = (key: string) => root.child(key).parsed((s) => parseCidr(s))!;
  const nodeNet = cidrField('nodeNetwork');
  const podNet = cidrField('podNetwork');
  const svcNet = cidrField('serviceNetwork');
  noOverlap(root.child('podNetwork'), podNet, [['nodeNetwork', nodeNet]]);
  noOverlap(root.child('serviceNetwork'), svcNet, [
    ['nodeNetwork', nodeNet],
    ['podNetwork', podNet],
  ]);

  const fl = root.child('flannel');
  if (fl.present) fl.object(['vni', 'port', 'mtu', 'mode']);
  const mode = fl.child('mode').string({ optional: true }) || 'static';
  if (mode !== 'static' && mode !== 'miss') fl.child('mode').fail('must be "static" or "miss"');
  const flannel = {
    vni: fl.child('vni').int(1, 16777215, 1),
    port: fl.child('port').int(1, 65535, 8472),
    mtu: fl.child('mtu').int(576, 9000, 1450),
    mode: mode as 'static' | 'miss',
  };

  const gw = root.child('gateway').object(['address', 'uplink']);
  const gwAddr = addressIn(gw.child('address'), nodeNet, 'nodeNetwork');
  const uplink = gw.child('uplink').parsed((s) => parseCidr(s, false))!;

  const inet = root.child('internet').object(['router', 'dns', 'hosts']);
  const router = inet.child('router').parsed((s) => parseCidr(s, false))!;
  if (router.network !== uplink.network || router.length !== uplink.length || router.address === uplink.address) {
    inet
      .child('router')
      .fail(`must be another address of the gateway's uplink network ${formatIpv4(uplink.network)}/${uplink.length}`);
  }
  const labNets: [string, Cidr][] = [
    ['nodeNetwork', nodeNet],
    ['podNetwork', podNet],
    ['serviceNetwork', svcNet],
  ];
  noOverlap(gw.child('uplink'), uplink, labNets);
  const dns = inet.child('dns').parsed(parseIpv4)!;
  const hosts = parseHosts(inet.child('hosts'), labNets);

  const nodes = parseNodes(root.child('nodes'), {
    nodeNet,
    podNet,
    gwAddr,
    labNets: [...labNets, ['gateway uplink', uplink]],
  });

  const topo: Topology = {
    file,
    name,
    prefix,
    nodeNetwork: root.child('nodeNetwork').string(),
    podNetwork: root.child('podNetwork').string(),
    serviceNetwork: root.child('serviceNetwork').string(),
    flannel,
    gateway: { address: gw.child('address').string(), uplink: gw.child('uplink').string() },
    internet: { router: inet.child('router').string(), dns: formatIpv4(dns), hosts },
    nodes,
    kubeProxy: parseKubeProxy(root.child('kubeProxy')),
    objects: parseClusterObjects(root.child('objects'), nodes),
    controlPlane: parseControlPlane(root.child('controlPlane'), {
      nodeNet,
      taken: new Map<number, string>([
        [gwAddr, 'gateway.address'],
        ...nodes.map((n, i) => [parseIpv4(n.address), `nodes[${i}].address`] as [number, string]),
      ]),
      nodeNames: new Set(nodes.map((n) => n.name)),
    }),
  };
  return topo;
}

function noOverlap(field: FieldReader, c: Cidr, others: [string, Cidr][]): void {
  for (const [name, o] of others) {
    if (cidrsOverlap(c, o))
      field.fail(`${JSON.stringify(field.value)} overlaps ${name} ${formatIpv4(o.network)}/${o.length}`);
  }
}

function addressIn(field: FieldReader, net: Cidr, netName: string): number {
  const ip = field.parsed(parseIpv4)!;
  if (!cidrContains(net, ip))
    field.fail(`${formatIpv4(ip)} is outside ${netName} ${formatIpv4(net.network)}/${net.length}`);
  if (ip === net.network || ip === net.network + cidrSize(net) - 1)
    field.fail(`${formatIpv4(ip)} is the network or broadcast address of ${netName}`);
  return ip;
}

function parseHosts(field: FieldReader, labNets: [string, Cidr][]): InternetHost[] {
  const seen = new Map<string, string>();
  return field.list().map((h) => {
    h.object(['name', 'address']);
    const name = h
      .child('name')
      .string({ pattern: HOSTNAME_RE, describe: 'is not a valid DNS name (lowercase letters, digits, - and .)' });
    const ip = h.child('address').parsed(parseIpv4)!;
    for (const [n, c] of labNets)
      if (cidrContains(c, ip)) h.child('address').fail(`${formatIpv4(ip)} lies inside the lab's ${n}`);
    if (seen.has(name)) h.child('name').fail(`duplicate host name (also at ${seen.get(name)})`);
    seen.set(name, h.path);
    return { name, address: formatIpv4(ip) };
  });
}

interface NodeContext {
  nodeNet: Cidr;
  podNet: Cidr;
  gwAddr: number;
  labNets: [string, Cidr][];
}

function parseNodes(field: FieldReader, ctx: NodeContext): NodeSpec[] {
  const list = field.list();
  if (list.length === 0) field.fail('must list at least one node');
  if (list.length > LIMITS.nodes)
    field.fail(`${list.length} nodes: a lab has at most ${LIMITS.nodes} (labs/README.md, "Limits")`);
  const podCount = list.reduce((n, node) => n + node.child('pods').list().length, 0);
  if (podCount > LIMITS.podsPerLab)
    field.fail(`${podCount} pods: a lab has at most ${LIMITS.podsPerLab} (labs/README.md, "Limits")`);
  const names = new Map<string, string>();
  const addrs = new Map<number, string>([[ctx.gwAddr, 'gateway.address']]);
  const subnets: [string, Cidr][] = [];
  const podKeys = new Map<string, string>();
  const podIps = new Map<number, string>();
  return list.map((n) => {
    n.object(['name', 'address', 'subnet', 'vtepMAC', 'eth0MAC', 'cniBridgeMAC', 'bridge', 'pods']);
    const name = parseNodeName(n.child('name'));
    if (names.has(name)) n.child('name').fail(`duplicate node name (also at ${names.get(name)})`);
    names.set(name, n.path);
    const address = addressIn(n.child('address'), ctx.nodeNet, 'nodeNetwork');
    if (addrs.has(address)) n.child('address').fail(`${formatIpv4(address)} is already used by ${addrs.get(address)}`);
    addrs.set(address, `${n.path}.address`);
    const subnet = n.child('subnet').parsed((s) => parseCidr(s))!;
    if (!cidrContainsCidr(ctx.podNet, subnet))
      n.child('subnet').fail(
        `${n.child('subnet').value} is not inside podNetwork ${formatIpv4(ctx.podNet.network)}/${ctx.podNet.length}`,
      );
    if (subnet.length > 28) n.child('subnet').fail('must be at least a /28');
    for (const [where, other] of subnets) {
      if (cidrsOverlap(subnet, other))
        n.child('subnet').fail(`${n.child('subnet').value} overlaps the subnet of ${where}`);
    }
    subnets.push([`${n.path} (${name})`, subnet]);
    // The kernel refuses a multicast (or broadcast) address for a link; say so before it is asked.
    const mac = (key: string) => {
      const v =
        n.child(key).string({
          optional: true,
          pattern: MAC_RE,
          describe: 'must be a MAC address like 26:12:3f:ba:e9:f5 (lowercase)',
        }) || undefined;
      if (v && parseInt(v.slice(0, 2), 16) & 1)
        n.child(key).fail(
          `${v} is a multicast or broadcast address: must be a unicast MAC (lowest bit of the first byte clear)`,
        );
      if (v === '00:00:00:00:00:00') n.child(key).fail('00:00:00:00:00:00 is not a usable MAC address');
      return v;
    };
    const vtepMAC = mac('vtepMAC');
    const eth0MAC = mac('eth0MAC');
    const cniBridgeMAC = mac('cniBridgeMAC');
    // Usable pod addresses: all but the network (flannel.1's .0), cni0's .1 and broadcast.
    const room = cidrSize(subnet) - 3;
    const podsHere = n.child('pods').list().length;
    if (podsHere > room)
      n.child('pods').fail(
        `${podsHere} pods do not fit ${n.child('subnet').value}: it has room for ${room} (network .0 is flannel.1, .1 is cni0, the last is broadcast)`,
      );
    const bridge = parseBridge(n.child('bridge'), ctx.labNets);
    const pods = n
      .child('pods')
      .list()
      .map((p) => {
        const pod = parsePodManifest(p, subnet);
        const key = `${pod.namespace}/${pod.name}`;
        if (podKeys.has(key))
          p.child('metadata')
            .child('name')
            .fail(`duplicate pod ${key} (also at ${podKeys.get(key)})`);
        podKeys.set(key, p.path);
        if (pod.ip) {
          const ip = parseIpv4(pod.ip);
          if (podIps.has(ip)) p.fail(`pod IP ${pod.ip} is already used by ${podIps.get(ip)}`);
          podIps.set(ip, key);
        }
        return pod;
      });
    const node: NodeSpec = { name, address: formatIpv4(address), subnet: n.child('subnet').string(), pods };
    if (vtepMAC) node.vtepMAC = vtepMAC;
    if (eth0MAC) node.eth0MAC = eth0MAC;
    if (cniBridgeMAC) node.cniBridgeMAC = cniBridgeMAC;
    if (bridge) node.bridge = bridge;
    return node;
  });
}

export function parseNodeName(field: FieldReader): string {
  const name = field.string();
  if (!NODE_NAME_RE.test(name)) {
    field.fail(
      `${JSON.stringify(name)} is not a valid node name: only lowercase letters, digits and - (not at the ends) are allowed`,
    );
  }
  if ((RESERVED_NODE_NAMES as readonly string[]).includes(name))
    field.fail(`${JSON.stringify(name)} is reserved for the lab's own ${name} namespace`);
  if (name.length > IFNAME_MAX)
    field.fail(
      `${JSON.stringify(name)} is longer than ${IFNAME_MAX} characters (it names the node's port on the underlay switch, an interface)`,
    );
  return name;
}

function parseBridge(field: FieldReader, labNets: [string, Cidr][]): NodeSpec['bridge'] {
  if (!field.present) return undefined;
  field.object(['name', 'address', 'host']);
  const name = field.child('name').string({
    pattern: BRIDGE_NAME_RE,
    describe: 'must be a lowercase interface name of at most 10 characters (its host port is "<name>-host")',
  });
  const addr = field.child('address').parsed((s) => parseCidr(s, false))!;
  noOverlap(field.child('address'), { network: addr.network, length: addr.length }, labNets);
  const out: NonNullable<NodeSpec['bridge']> = { name, address: field.child('address').string() };
  if (field.child('host').present) {
    const host = field.child('host').parsed(parseIpv4)!;
    if (!cidrContains(addr, host) || host === addr.address)
      field.child('host').fail(`must be another address inside ${field.child('address').value}`);
    out.host = formatIpv4(host);
  }
  return out;
}
