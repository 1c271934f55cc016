// Label selectors as controllers evaluate them (apimachinery's labels.Selector): matchLabels and
// matchExpressions both must hold; an empty selector matches everything, a missing one nothing.
import type { LabelSelector } from '../../../common/api-types.js';

export function matchesSelector(
  selector: LabelSelector | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const vals = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !vals.includes(l[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && vals.includes(l[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A plain map selector (ReplicationController, Service): every pair must match; empty matches nothing for services. */
export function matchesSet(
  set: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!set || Object.keys(set).length === 0) return false;
  const l = labels ?? {};
  return Object.entries(set).every(([k, v]) => l[k] === v);
}

/** `a=b,c=d`: the form a list call's labelSelector takes. */
export function selectorString(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.join(',');
}
