// The iptables view's calls, merged into common/ui-contract.ts's map (kept in their own file).
import { ValidationError } from './errors.js';
import { NAMESPACE_NAME } from './lab-names.js';
import type { IptablesView } from './iptables-model.js';
import { asObject, asString, onlyKeys } from './validate.js';

export const IPTABLES_TABLES = ['nat', 'filter', 'mangle', 'raw'] as const;
export type IptablesTable = (typeof IPTABLES_TABLES)[number];

/** The rule formats kube-proxy can write here (cluster/proxy/render-formats.ts). */
export const RULE_FORMAT_NAMES = ['current', 'article', 'nftables'] as const;
export type RuleFormatName = (typeof RULE_FORMAT_NAMES)[number];

export interface RenderedRules {
  format: RuleFormatName;
  /** The node whose rules these are. */
  node: string;
  /** iptables-restore input (current, article) or `nft -f` input (nftables). */
  text: string;
}

export interface IptablesCalls {
  'iptables.get': { request: { namespace: string; tables: IptablesTable[] }; response: IptablesView };
  /** The cluster's Services rendered as one kube-proxy format would write them on a node (nothing is applied). */
  'iptables.render': { request: { namespace: string; format: RuleFormatName }; response: RenderedRules };
}

export const iptablesRequestValidators: {
  [K in keyof IptablesCalls]: (v: unknown, where: string) => IptablesCalls[K]['request'];
} = {
  'iptables.get': (v, where) => {
    const o = asObject(v, where);
    onlyKeys(o, where, ['namespace', 'tables']);
    const namespace = asString(o.namespace, `${where}.namespace`, { pattern: NAMESPACE_NAME });
    if (!Array.isArray(o.tables) || o.tables.length === 0 || o.tables.length > IPTABLES_TABLES.length) {
      throw new ValidationError(`${where}.tables`, `expected a list of 1…4 of ${IPTABLES_TABLES.join(', ')}`);
    }
    const tables = o.tables.map(
      (t, i) => asString(t, `${where}.tables[${i}]`, { pattern: /^(nat|filter|mangle|raw)$/ }) as IptablesTable,
    );
    return { namespace, tables: [...new Set(tables)] };
  },
  'iptables.render': (v, where) => {
    const o = asObject(v, where);
    onlyKeys(o, where, ['namespace', 'format']);
    const namespace = asString(o.namespace, `${where}.namespace`, { pattern: NAMESPACE_NAME });
    const format = asString(o.format, `${where}.format`, { pattern: /^(current|article|nftables)$/ }) as RuleFormatName;
    return { namespace, format };
  },
};
