// A namespace's iptables as the iptables view shows it: tables of chains with their rules and
// packet/byte counters (`iptables-save -c`), and for a rule that jumps to a chain of the same table,
// that chain's name, so the view can unfold PREROUTING → KUBE-SERVICES → KUBE-SVC-… → KUBE-SEP-… → DNAT.

export interface RuleView {
  packets: number;
  bytes: number;
  /** The rule as iptables-save prints it, without the counters and `-A CHAIN`. */
  spec: string;
  /** `-j`/`-g` target: a chain of this table or an action (DNAT, MASQUERADE, ACCEPT…). */
  target?: string;
  /** Set when the target is a chain of the same table (unfoldable). */
  jump?: string;
  comment?: string;
}

export interface ChainView {
  name: string;
  /** Built-in chains' policy (ACCEPT/DROP); user chains have none. */
  policy?: string;
  packets: number;
  bytes: number;
  rules: RuleView[];
}

export interface TableView {
  name: string;
  chains: ChainView[];
}

export interface IptablesView {
  namespace: string;
  /** Which program read them (`iptables-save`: what a learner's `iptables` shows). */
  source: string;
  tables: TableView[];
}

export const BUILTIN_CHAINS: Record<string, string[]> = {
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
};
