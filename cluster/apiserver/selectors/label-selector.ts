// Label selectors in the string syntax of `?labelSelector=` (k8s.io/apimachinery/pkg/labels):
// `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, plus `a>1`/`a<1`, joined by commas.
import { badRequest } from '../status.js';

export type LabelOperator = 'in' | 'notin' | 'exists' | 'doesnotexist' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export interface LabelSelector {
  requirements: LabelRequirement[];
  matches(labels: Record<string, string> | undefined): boolean;
  /** True for the empty selector (matches everything). */
  empty: boolean;
}

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

function bad(selector: string, why: string): Error {
  return badRequest(`unable to parse requirement: ${why} (in label selector "${selector}")`);
}

/** Parses a label selector string; throws a 400 ApiError naming the bad part. */
export function parseLabelSelector(selector: string): LabelSelector {
  const src = selector.trim();
  const reqs: LabelRequirement[] = [];
  let i = 0;
  const skipWs = () => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  const readWord = (): string => {
    skipWs();
    const start = i;
    while (i < src.length && !/[\s,=!()<>]/.test(src[i]!)) i++;
    return src.slice(start, i);
  };
  while (i < src.length) {
    skipWs();
    let negate = false;
    if (src[i] === '!') {
      negate = true;
      i++;
    }
    const key = readWord();
    if (!key || !KEY.test(key)) throw bad(selector, `invalid label key "${key}"`);
    skipWs();
    let req: LabelRequirement;
    if (negate) {
      req = { key, operator: 'doesnotexist', values: [] };
    } else if (i >= src.length || src[i] === ',') {
      req = { key, operator: 'exists', values: [] };
    } else if (src.startsWith('==', i) || src[i] === '=') {
      i += src.startsWith('==', i) ? 2 : 1;
      req = { key, operator: 'in', values: [readValue()] };
    } else if (src.startsWith('!=', i)) {
      i += 2;
      req = { key, operator: 'notin', values: [readValue()] };
    } else if (src[i] === '>' || src[i] === '<') {
      const op = src[i] === '>' ? 'gt' : 'lt';
      i++;
      const v = readWord();
      if (!/^-?\d+$/.test(v)) throw bad(selector, `for 'Gt', 'Lt' operators, the value must be an integer`);
      req = { key, operator: op, values: [v] };
    } else {
      const op = readWord();
      if (op !== 'in' && op !== 'notin')
        throw bad(selector, `found '${op || src[i]}', expected: '=', '!=', '==', 'in', notin'`);
      skipWs();
      if (src[i] !== '(') throw bad(selector, `found '${src[i] ?? ''}', expected: '('`);
      i++;
      const values: string[] = [];
      for (;;) {
        skipWs();
        if (src[i] === ')') {
          i++;
          break;
        }
        values.push(readValue());
        skipWs();
        if (src[i] === ',') i++;
        else if (src[i] !== ')') throw bad(selector, `found '${src[i] ?? 'end of string'}', expected: ',' or ')'`);
      }
      req = { key, operator: op, values };
    }
    reqs.push(req);
    skipWs();
    if (i < src.length) {
      if (src[i] !== ',') throw bad(selector, `found '${src[i]}', expected: ','`);
      i++;
      if (i >= src.length) throw bad(selector, 'found end of string, expected: identifier');
    }
  }
  return selectorOf(reqs);

  function readValue(): string {
    const v = readWord();
    if (!VALUE.test(v)) throw bad(selector, `invalid label value: "${v}"`);
    return v;
  }
}

export function selectorOf(requirements: LabelRequirement[]): LabelSelector {
  return {
    requirements,
    empty: requirements.length === 0,
    matches(labels) {
      const l = labels ?? {};
      return requirements.every((r) => {
        const has = Object.prototype.hasOwnProperty.call(l, r.key);
        const v = l[r.key];
        switch (r.operator) {
          case 'in':
            return has && r.values.includes(v!);
          case 'notin':
            return !has || !r.values.includes(v!);
          case 'exists':
            return has;
          case 'doesnotexist':
            return !has;
          case 'gt':
            return has && /^-?\d+$/.test(v!) && Number(v) > Number(r.values[0]);
          case 'lt':
            return has && /^-?\d+$/.test(v!) && Number(v) < Number(r.values[0]);
        }
      });
    },
  };
}

/** metav1.LabelSelector (matchLabels + matchExpressions) in its string form, as Scale.status.selector shows it. */
export function formatLabelSelector(
  sel:
    | {
        matchLabels?: Record<string, string>;
        matchExpressions?: { key: string; operator: string; values?: string[] }[];
      }
    | undefined,
): string {
  if (!sel) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {}).sort()) parts.push(`${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'exists') parts.push(e.key);
    else if (op === 'doesnotexist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${op} (${[...(e.values ?? [])].sort().join(',')})`);
  }
  return parts.join(',');
}
