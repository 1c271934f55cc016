// Follows one packet through a namespace's iptables as `iptables-save` prints them. nat: PREROUTING
// or OUTPUT → KUBE-SERVICES → KUBE-SVC-* (statistic random: every endpoint with its share) →
// KUBE-SEP-* → DNAT, and POSTROUTING → KUBE-POSTROUTING / flannel's MASQUERADE. filter: OUTPUT,
// FORWARD, INPUT → ACCEPT, DROP or REJECT (kube-proxy rejects a service without endpoints there).
// Pure: text in, decision out. Matches it does not understand make the rule not match, and are
// reported. The packet is the first of a new connection (conntrack state NEW, plus DNAT if one applied).
import { parseIptablesSave, ruleLine, tokenizeRule } from '../../common/iptables-save.js';
import { prefixContains } from '../../common/net/ipv4.js';
import type { PacketHeader } from '../../common/path-model.js';

export interface NatRule {
  chain: string;
  text: string;
  /** Each match option with its negation: `-s`, `-d`, `-p`, `-i`, `-o`, `--dport`, … */
  matches: { opt: string; value: string; negate: boolean }[];
  target?: string;
  targetArgs: Record<string, string>;
  probability?: number;
}

export interface NatTable {
  chains: Map<string, NatRule[]>;
  /** Built-in chains' policies (`:FORWARD DROP [0:0]`). */
  policies: Map<string, string>;
}

export interface NatContext {
  /** Interface the packet came in on (PREROUTING) and goes out by (POSTROUTING). */
  inDev?: string;
  outDev?: string;
  /** Addresses of this namespace (for `-m addrtype --dst-type LOCAL`). */
  localAddresses: string[];
  /** Picks among a KUBE-SVC chain's endpoints; returns the index to follow. */
  choose?: (candidates: NatCandidate[]) => number;
  /** conntrack states of the packet (default NEW). */
  ctstates?: string[];
}

export interface NatCandidate {
  endpoint: string;
  probability: number;
  chain: string;
}

export interface NatDecision {
  action: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'none' | 'ACCEPT' | 'DROP' | 'REJECT';
  /** `ip` or `ip:port` for DNAT/SNAT. */
  to?: string;
  rules: string[];
  candidates?: NatCandidate[];
  chosen?: number;
  mark: number;
  unknownMatches: string[];
}

export function parseNatTable(text: string): NatTable {
  return parseIptablesTable(text, 'nat');
}

export function parseIptablesTable(text: string, table: 'nat' | 'filter'): NatTable {
  const chains = new Map<string, NatRule[]>();
  const policies = new Map<string, string>();
  for (const c of parseIptablesSave(text).find((t) => t.name === table)?.chains ?? []) {
    chains.set(
      c.name,
      c.rules.map((r) => parseRule(c.name, r.spec)),
    );
    if (c.policy) policies.set(c.name, c.policy);
  }
  return { chains, policies };
}

const VALUE_OPTS = new Set([
  '-s',
  '-d',
  '-p',
  '-i',
  '-o',
  '--dport',
  '--sport',
  '--dst-type',
  '--src-type',
  '--mark',
  '--probability',
  '--mode',
  '--comment',
  '--ctstate',
  '--state',
  '--set-xmark',
  '--or-mark',
  '--to-destination',
  '--to-source',
  '--to-ports',
  '--xor-mark',
  '--and-mark',
  '--set-mark',
]);

function parseRule(chain: string, spec: string): NatRule {
  const tokens = tokenizeRule(spec);
  const rule: NatRule = { chain, text: ruleLine(chain, { spec }), matches: [], targetArgs: {} };
  let negate = false;
  let afterTarget = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '!') {
      negate = true;
      continue;
    }
    if (t === '-j' || t === '-g') {
      rule.target = tokens[++i];
      afterTarget = true;
      continue;
    }
    if (t === '-m') {
      i++; // the module name; its options follow as ordinary options
      continue;
    }
    const value = VALUE_OPTS.has(t) || t.startsWith('--') ? tokens[i + 1] : undefined;
    if (value !== undefined && !value.startsWith('-')) i++;
    if (afterTarget) rule.targetArgs[t] = value ?? '';
    else if (t === '--probability') rule.probability = Number(value);
    else if (t !== '--comment' && t !== '--mode' && t !== '--random-fully' && t !== '--random')
      rule.matches.push({ opt: t, value: value ?? '', negate });
    negate = false;
  }
  return rule;
}

/** Runs `hook` (PREROUTING, OUTPUT or POSTROUTING) for `pkt`. */
export function evaluateNat(table: NatTable, hook: string, pkt: PacketHeader, ctx: NatContext, mark = 0): NatDecision {
  const state: NatDecision = { action: 'none', rules: [], mark, unknownMatches: [] };
  const verdict = runChain(table, hook, pkt, ctx, state, 0);
  // In the nat table ACCEPT only ends the traversal: no translation.
  if (verdict && verdict !== 'RETURN' && verdict.action !== 'ACCEPT') Object.assign(state, verdict);
  return state;
}

/** Runs a filter hook (OUTPUT, FORWARD, INPUT): the first ACCEPT/DROP/REJECT decides, else the policy. */
export function evaluateFilter(
  table: NatTable,
  hook: string,
  pkt: PacketHeader,
  ctx: NatContext,
  mark = 0,
): NatDecision & { byPolicy: boolean } {
  const state: NatDecision = { action: 'none', rules: [], mark, unknownMatches: [] };
  const verdict = runChain(table, hook, pkt, ctx, state, 0);
  if (verdict && verdict !== 'RETURN') return { ...state, ...verdict, byPolicy: false };
  const policy = table.policies.get(hook) ?? 'ACCEPT';
  return { ...state, action: policy === 'DROP' ? 'DROP' : 'ACCEPT', byPolicy: true };
}

type Verdict = { action: NatDecision['action']; to?: string } | 'RETURN' | undefined;

function runChain(
  table: NatTable,
  chain: string,
  pkt: PacketHeader,
  ctx: NatContext,
  st: NatDecision,
  depth: number,
): Verdict {
  const rules = table.chains.get(chain) ?? [];
  if (depth > 16) return undefined;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (!matches(rule, pkt, ctx, st)) continue;
    if (rule.probability !== undefined) return runStatistic(table, rules, i, pkt, ctx, st, depth);
    const v = applyTarget(table, rule, pkt, ctx, st, depth);
    if (v === 'RETURN') return undefined;
    if (v) return v;
  }
  return undefined;
}

/** kube-proxy's load balancing: rule k is taken with probability p_k of what the rules before left. */
function runStatistic(
  table: NatTable,
  rules: NatRule[],
  start: number,
  pkt: PacketHeader,
  ctx: NatContext,
  st: NatDecision,
  depth: number,
): Verdict {
  const group: { rule: NatRule; probability: number }[] = [];
  let remaining = 1;
  for (let i = start; i < rules.length; i++) {
    const r = rules[i]!;
    if (!matches(r, pkt, ctx, st)) continue;
    const p = r.probability ?? 1;
    group.push({ rule: r, probability: remaining * p });
    remaining *= 1 - p;
    if (r.probability === undefined) break;
  }
  const candidates = group.map((g) => ({
    endpoint: dnatTarget(table, g.rule.target ?? '') ?? '?',
    probability: Math.round(g.probability * 10000) / 10000,
    chain: g.rule.target ?? '',
  }));
  const chosen = Math.min(Math.max(ctx.choose ? ctx.choose(candidates) : 0, 0), group.length - 1);
  st.candidates = candidates;
  st.chosen = chosen;
  const v = applyTarget(table, group[chosen]!.rule, pkt, ctx, st, depth);
  return v === 'RETURN' ? undefined : v;
}

/** The `--to-destination` an endpoint chain ends in (for listing candidates). */
function dnatTarget(table: NatTable, chain: string): string | undefined {
  for (const r of table.chains.get(chain) ?? []) if (r.target === 'DNAT') return r.targetArgs['--to-destination'];
  return undefined;
}

function applyTarget(
  table: NatTable,
  rule: NatRule,
  pkt: PacketHeader,
  ctx: NatContext,
  st: NatDecision,
  depth: number,
): Verdict {
  const t = rule.target;
  if (!t) return undefined;
  st.rules.push(rule.text);
  switch (t) {
    case 'RETURN':
      return 'RETURN';
    case 'ACCEPT':
      return { action: 'ACCEPT' };
    case 'DROP':
      return { action: 'DROP' };
    case 'REJECT':
      return { action: 'REJECT' };
    case 'DNAT':
      return { action: 'DNAT', to: rule.targetArgs['--to-destination'] ?? '' };
    case 'SNAT':
      return { action: 'SNAT', to: rule.targetArgs['--to-source'] ?? '' };
    case 'MASQUERADE':
      return { action: 'MASQUERADE' };
    case 'MARK': {
      const xmark = rule.targetArgs['--set-xmark'] ?? rule.targetArgs['--or-mark'] ?? rule.targetArgs['--set-mark'];
      if (xmark) {
        const [v, m] = xmark.split('/').map((x) => Number(x));
        if (rule.targetArgs['--or-mark']) st.mark |= v ?? 0;
        else st.mark = (st.mark & ~(m ?? 0xffffffff)) ^ (v ?? 0);
      }
      return undefined;
    }
    default:
      if (table.chains.has(t)) return runChain(table, t, pkt, ctx, st, depth + 1);
      return undefined; // LOG, CONNMARK and the like do not decide
  }
}

function matches(rule: NatRule, pkt: PacketHeader, ctx: NatContext, st: NatDecision): boolean {
  for (const m of rule.matches) {
    const r = matchOne(m.opt, m.value, pkt, ctx, st);
    if (r === undefined) {
      if (!st.unknownMatches.includes(m.opt)) st.unknownMatches.push(m.opt);
      return false;
    }
    if (r === m.negate) return false;
  }
  return true;
}

function matchOne(
  opt: string,
  value: string,
  pkt: PacketHeader,
  ctx: NatContext,
  st: NatDecision,
): boolean | undefined {
  switch (opt) {
    case '-s':
      return prefixContains(value, pkt.src);
    case '-d':
      return prefixContains(value, pkt.dst);
    case '-p':
      return value === 'all' || value === pkt.protocol;
    case '-i':
      return ctx.inDev !== undefined && ifaceMatch(value, ctx.inDev);
    case '-o':
      return ctx.outDev !== undefined && ifaceMatch(value, ctx.outDev);
    case '--dport':
      return pkt.dport !== undefined && portMatch(value, pkt.dport);
    case '--dst-type':
      return value === 'LOCAL' ? ctx.localAddresses.includes(pkt.dst) : undefined;
    case '--src-type':
      return value === 'LOCAL' ? ctx.localAddresses.includes(pkt.src) : undefined;
    case '--ctstate':
    case '--state': {
      const states = ctx.ctstates ?? ['NEW'];
      return value.split(',').some((v) => states.includes(v));
    }
    case '--mark': {
      const [v, m] = value.split('/').map((x) => Number(x));
      return (st.mark & (m ?? 0xffffffff)) >>> 0 === (v ?? 0);
    }
    default:
      return undefined;
  }
}

function ifaceMatch(pattern: string, dev: string): boolean {
  return pattern.endsWith('+') ? dev.startsWith(pattern.slice(0, -1)) : pattern === dev;
}

function portMatch(value: string, port: number): boolean {
  const [a, b] = value.split(':').map(Number);
  return b === undefined ? port === a : port >= (a ?? 0) && port <= b;
}
