// The rules that hook kube-proxy's chains into the built-in ones (PREROUTING → KUBE-SERVICES …).
// kube-proxy cannot write these with its --noflush restore without duplicating them, so it checks
// for each and prepends the missing ones; the list and comments are kube-proxy's.

export type Table = 'filter' | 'nat' | 'mangle';

export interface JumpRule {
  table: Table;
  /** Built-in chain the jump sits in. */
  from: string;
  /** kube-proxy's chain it jumps to. */
  to: string;
  /** The rule without `-A <from>`, exactly as iptables-save prints it. */
  spec: string;
}

function jump(table: Table, to: string, from: string, comment: string, extra = ''): JumpRule {
  const c = comment ? `-m comment --comment "${comment}" ` : '';
  return { table, from, to, spec: `${extra ? `${extra} ` : ''}${c}-j ${to}` };
}

const NEW = '-m conntrack --ctstate NEW';

/** In the order kube-proxy ensures them (each one prepended, so the last ends up first). */
export const JUMP_RULES: readonly JumpRule[] = [
  jump('filter', 'KUBE-EXTERNAL-SERVICES', 'INPUT', 'kubernetes externally-visible service portals', NEW),
  jump('filter', 'KUBE-EXTERNAL-SERVICES', 'FORWARD', 'kubernetes externally-visible service portals', NEW),
  jump('filter', 'KUBE-NODEPORTS', 'INPUT', 'kubernetes health check service ports'),
  jump('filter', 'KUBE-SERVICES', 'FORWARD', 'kubernetes service portals', NEW),
  jump('filter', 'KUBE-SERVICES', 'OUTPUT', 'kubernetes service portals', NEW),
  jump('filter', 'KUBE-FORWARD', 'FORWARD', 'kubernetes forwarding rules'),
  jump('filter', 'KUBE-PROXY-FIREWALL', 'INPUT', 'kubernetes load balancer firewall', NEW),
  jump('filter', 'KUBE-PROXY-FIREWALL', 'OUTPUT', 'kubernetes load balancer firewall', NEW),
  jump('filter', 'KUBE-PROXY-FIREWALL', 'FORWARD', 'kubernetes load balancer firewall', NEW),
  jump('nat', 'KUBE-SERVICES', 'OUTPUT', 'kubernetes service portals'),
  jump('nat', 'KUBE-SERVICES', 'PREROUTING', 'kubernetes service portals'),
  jump('nat', 'KUBE-POSTROUTING', 'POSTROUTING', 'kubernetes postrouting rules'),
  // The kubelet's own KUBE-FIREWALL hooks, which kube-proxy also ensures.
  jump('filter', 'KUBE-FIREWALL', 'INPUT', ''),
  jump('filter', 'KUBE-FIREWALL', 'OUTPUT', ''),
];

/** The canary chain kube-proxy keeps (empty) in each table to notice someone flushing iptables. */
export const CANARY_CHAIN = 'KUBE-PROXY-CANARY';
