// Pure parser of `iptables-save -c` output into tables of chains with counters. Quoted comments are
// read the way iptables-save writes them; unknown lines are an error naming the line.
import { KubewireError } from '../../common/errors.js';
import type { ChainView, RuleView, TableView } from '../../common/iptables-model.js';

export class IptablesSaveError extends KubewireError {}

const CHAIN_LINE = /^:(\S+) (\S+) \[(\d+):(\d+)\]$/;
const RULE_LINE = /^\[(\d+):(\d+)\] -A (\S+) ?(.*)$/;

export function parseIptablesSave(text: string): TableView[] {
  const tables: TableView[] = [];
  let table: TableView | undefined;
  let chains = new Map<string, ChainView>();
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trimEnd();
    const where = `iptables-save line ${i + 1}`;
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('*')) {
      table = { name: line.slice(1), chains: [] };
      chains = new Map();
      tables.push(table);
      return;
    }
    if (!table) throw new IptablesSaveError(`${where}: '${line.slice(0, 60)}' before any *table`);
    if (line === 'COMMIT') {
      linkJumps(table, chains);
      table = undefined;
      return;
    }
    const c = CHAIN_LINE.exec(line);
    if (c) {
      const chain: ChainView = { name: c[1]!, packets: Number(c[3]), bytes: Number(c[4]), rules: [] };
      if (c[2] !== '-') chain.policy = c[2]!;
      chains.set(chain.name, chain);
      table.chains.push(chain);
      return;
    }
    const r = RULE_LINE.exec(line);
    if (r) {
      const chain = chains.get(r[3]!);
      if (!chain) throw new IptablesSaveError(`${where}: rule for undeclared chain ${r[3]}`);
      chain.rules.push(parseRule(Number(r[1]), Number(r[2]), r[4]!));
      return;
    }
    throw new IptablesSaveError(`${where}: cannot read '${line.slice(0, 80)}' (was it saved with -c?)`);
  });
  return tables;
}

function parseRule(packets: number, bytes: number, spec: string): RuleView {
  const rule: RuleView = { packets, bytes, spec };
  const words = tokenize(spec);
  for (let i = 0; i < words.length - 1; i++) {
    if (words[i] === '-j' || words[i] === '-g') rule.target = words[i + 1];
    if (words[i] === '--comment') rule.comment = words[i + 1];
  }
  return rule;
}

function linkJumps(table: TableView, chains: Map<string, ChainView>): void {
  for (const chain of table.chains)
    for (const rule of chain.rules) if (rule.target && chains.has(rule.target)) rule.jump = rule.target;
}

/** Words of a rule as iptables-save quotes them ("…" with \" inside). */
function tokenize(spec: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(spec); m; m = re.exec(spec)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}
