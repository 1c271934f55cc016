// The one reader of `iptables-save` output (with or without -c): tables of chains with their
// policies, counters and rules. The UI's iptables view, the path tracer's walk, kube-proxy's full
// sync, `up`'s convergence check and the in-process iptables helper all read through it. Pure.
import { KubewireError } from './errors.js';
import type { ChainView, RuleView, TableView } from './iptables-model.js';

export class IptablesSaveError extends KubewireError {}

// `:NAME POLICY [packets:bytes]`; hand-written fixtures may leave out the policy or the counters.
const CHAIN_LINE = /^:(\S+)(?: (\S+))?(?: \[(\d+):(\d+)\])?$/;
// `[packets:bytes] -A CHAIN spec` with -c, `-A CHAIN spec` without.
const RULE_LINE = /^(?:\[(\d+):(\d+)\] )?-A (\S+)(?: (.*))?$/;

/**
 * Tables in the order printed. A rule's counters are 0 when the text was saved without -c. Any line
 * that is none of `*table`, `:chain`, `-A`, `COMMIT` or a `#` comment is an error naming the line.
 */
export function parseIptablesSave(text: string): TableView[] {
  const tables: TableView[] = [];
  let table: TableView | undefined;
  let chains = new Map<string, ChainView>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const where = () => `iptables-save line ${i + 1}`;
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('*')) {
      table = { name: line.slice(1), chains: [] };
      chains = new Map();
      tables.push(table);
      return;
    }
    if (!table) throw new IptablesSaveError(`${where()}: '${line.slice(0, 60)}' before any *table`);
    if (line === 'COMMIT') {
      linkJumps(table, chains);
      table = undefined;
      return;
    }
    const c = line.startsWith(':') ? CHAIN_LINE.exec(line) : null;
    if (c) {
      const chain: ChainView = { name: c[1]!, packets: Number(c[3] ?? 0), bytes: Number(c[4] ?? 0), rules: [] };
      if (c[2] !== undefined && c[2] !== '-') chain.policy = c[2];
      if (!chains.has(chain.name)) table.chains.push(chain);
      chains.set(chain.name, chain);
      return;
    }
    const r = RULE_LINE.exec(line);
    if (r) {
      const chain = chains.get(r[3]!);
      if (!chain) throw new IptablesSaveError(`${where()}: rule for undeclared chain ${r[3]}`);
      chain.rules.push(parseRule(Number(r[1] ?? 0), Number(r[2] ?? 0), r[4] ?? ''));
      return;
    }
    throw new IptablesSaveError(`${where()}: cannot read '${line.slice(0, 80)}'`);
  });
  // A table whose COMMIT is missing (cut-off output) still gets its jumps linked.
  if (table) linkJumps(table, chains);
  return tables;
}

/** The rule as iptables-save prints it without counters: `-A CHAIN spec`. */
export function ruleLine(chain: string, rule: Pick<RuleView, 'spec'>): string {
  return rule.spec ? `-A ${chain} ${rule.spec}` : `-A ${chain}`;
}

/** Each table's chain names and its rules as `-A CHAIN spec` lines: what a sync compares against. */
export function savedRuleSets(tables: readonly TableView[]): Map<string, { chains: Set<string>; rules: Set<string> }> {
  const out = new Map<string, { chains: Set<string>; rules: Set<string> }>();
  for (const t of tables)
    out.set(t.name, {
      chains: new Set(t.chains.map((c) => c.name)),
      rules: new Set(t.chains.flatMap((c) => c.rules.map((r) => ruleLine(c.name, r)))),
    });
  return out;
}

/** Words of a rule the way a shell would split it (iptables-save quotes comments: "…" with \" inside). */
export function tokenizeRule(spec: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(spec); m; m = re.exec(spec)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

// kube-proxy's sync reads tens of thousands of rules: one pass over the words, building only the
// target and the comment (tokenizeRule's split, without making every word).
function parseRule(packets: number, bytes: number, spec: string): RuleView {
  const rule: RuleView = { packets, bytes, spec };
  const n = spec.length;
  let prev = '';
  for (let i = 0; i < n;) {
    if (spec.charCodeAt(i) === 32) {
      i++;
      continue;
    }
    let word: string;
    if (spec.charCodeAt(i) === 34) {
      let end = i + 1;
      while (end < n && spec.charCodeAt(end) !== 34) end += spec.charCodeAt(end) === 92 ? 2 : 1;
      word = spec.slice(i + 1, Math.min(end, n)).replace(/\\(.)/g, '$1');
      i = end + 1;
    } else {
      const end = spec.indexOf(' ', i);
      word = spec.slice(i, end < 0 ? n : end);
      i = end < 0 ? n : end;
    }
    if (prev === '-j' || prev === '-g') rule.target = word;
    else if (prev === '--comment') rule.comment = word;
    prev = word;
  }
  return rule;
}

function linkJumps(table: TableView, chains: Map<string, ChainView>): void {
  for (const chain of table.chains)
    for (const rule of chain.rules) if (rule.target && chains.has(rule.target)) rule.jump = rule.target;
}
