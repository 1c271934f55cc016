// x-kubernetes-validations, evaluated with @bufbuild/cel (Buf's CEL implementation for
// ECMAScript, conformance-tested against cel-spec): `self` is the value at the rule's schema node
// and `oldSelf` the stored one (transition rules run on updates only). JSON becomes CEL values by
// the schema: integers as int (bigint), objects as maps, so `self.replicas <= self.max` and
// `has(self.x)` read as in kube. Kubernetes' CEL libraries (quantity, url, ip, …) are not offered.
import { isCelError, parse, run } from '@bufbuild/cel';
import type { JsonSchema } from './structural.js';

type CelIn = Parameters<typeof run>[1] extends Record<string, infer V> | undefined ? V : never;

function toCel(v: unknown, s: JsonSchema | undefined): CelIn {
  if (Array.isArray(v)) return v.map((x) => toCel(x, s?.items)) as CelIn;
  if (v && typeof v === 'object') {
    const m = new Map<string, CelIn>();
    for (const [k, x] of Object.entries(v))
      m.set(
        k,
        toCel(
          x,
          s?.properties?.[k] ?? (typeof s?.additionalProperties === 'object' ? s.additionalProperties : undefined),
        ),
      );
    return m as CelIn;
  }
  if (
    typeof v === 'number' &&
    Number.isInteger(v) &&
    (s?.type === 'integer' || s?.['x-kubernetes-int-or-string'] || !s)
  )
    return BigInt(v) as CelIn;
  return v as CelIn;
}

export class CelRuleError extends Error {}

export interface CompiledRule {
  /** undefined when the rule holds, else the message to report. */
  check(value: unknown, old: unknown, schema: JsonSchema): string | undefined;
}

const cache = new Map<string, CompiledRule>();

/** Parses the rule once (CelRuleError when it does not compile). */
export function celRule(rule: JsonSchema): CompiledRule {
  const key = JSON.stringify(rule);
  const hit = cache.get(key);
  if (hit) return hit;
  const expr = String(rule.rule ?? '');
  try {
    parse(expr);
  } catch (err) {
    throw new CelRuleError(`compilation failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const transition = /\boldSelf\b/.test(expr);
  const compiled: CompiledRule = {
    check(value, old, schema) {
      if (transition && old === undefined) return undefined;
      const vars: Record<string, CelIn> = { self: toCel(value, schema) };
      if (transition) vars.oldSelf = toCel(old, schema);
      let out: unknown;
      try {
        out = run(expr, vars);
      } catch (err) {
        out = err;
      }
      if (out === true) return undefined;
      if (isCelError(out) || out instanceof Error) return `${rule.message || `failed rule: ${expr}`}`;
      return rule.message || `failed rule: ${expr}`;
    },
  };
  cache.set(key, compiled);
  return compiled;
}
