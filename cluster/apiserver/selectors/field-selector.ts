// Field selectors (`?fieldSelector=spec.nodeName=node5,status.phase!=Running`): only the fields each
// resource indexes, as kube-apiserver allows; anything else is a 400 naming the field.
import { badRequest } from '../status.js';

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  requirements: FieldRequirement[];
  empty: boolean;
  matches(fields: Record<string, string>): boolean;
}

/** Splits on unescaped separators; `\,` `\=` `\\` escape as in fields.ParseSelector. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function unescape(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(selector: string): FieldSelector {
  const reqs: FieldRequirement[] = [];
  if (selector.trim()) {
    for (const term of splitTerms(selector)) {
      const m = /^([^=!]+?)\s*(==|!=|=)\s*(.*)$/.exec(term.trim());
      if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
      reqs.push({ field: m[1]!.trim(), op: m[2] === '!=' ? '!=' : '=', value: unescape(m[3]!) });
    }
  }
  return {
    requirements: reqs,
    empty: reqs.length === 0,
    matches(fields) {
      return reqs.every((r) => ((fields[r.field] ?? '') === r.value) === (r.op === '='));
    },
  };
}

type Obj = Record<string, any>;

/** The selectable fields of an object of `plural` (the registries' GetAttrs/field label conversion). */
export function selectableFields(plural: string, obj: Obj): Record<string, string> {
  const md = obj.metadata ?? {};
  const f: Record<string, string> = { 'metadata.name': md.name ?? '' };
  if (md.namespace !== undefined) f['metadata.namespace'] = md.namespace ?? '';
  switch (plural) {
    case 'pods':
      f['spec.nodeName'] = obj.spec?.nodeName ?? '';
      f['spec.restartPolicy'] = obj.spec?.restartPolicy ?? '';
      f['spec.schedulerName'] = obj.spec?.schedulerName ?? '';
      f['spec.serviceAccountName'] = obj.spec?.serviceAccountName ?? '';
      f['spec.hostNetwork'] = String(obj.spec?.hostNetwork ?? false);
      f['status.phase'] = obj.status?.phase ?? '';
      f['status.podIP'] = obj.status?.podIP ?? '';
      f['status.nominatedNodeName'] = obj.status?.nominatedNodeName ?? '';
      break;
    case 'nodes':
      f['spec.unschedulable'] = String(obj.spec?.unschedulable ?? false);
      break;
    case 'events': {
      const io = obj.involvedObject ?? {};
      Object.assign(f, {
        'involvedObject.kind': io.kind ?? '',
        'involvedObject.namespace': io.namespace ?? '',
        'involvedObject.name': io.name ?? '',
        'involvedObject.uid': io.uid ?? '',
        'involvedObject.apiVersion': io.apiVersion ?? '',
        'involvedObject.resourceVersion': io.resourceVersion ?? '',
        'involvedObject.fieldPath': io.fieldPath ?? '',
        reason: obj.reason ?? '',
        reportingComponent: obj.reportingComponent ?? '',
        source: obj.source?.component ?? '',
        type: obj.type ?? '',
      });
      break;
    }
    case 'namespaces':
      f['status.phase'] = obj.status?.phase ?? '';
      break;
    case 'secrets':
      f.type = obj.type ?? '';
      break;
    case 'replicasets':
    case 'replicationcontrollers':
      f['status.replicas'] = String(obj.status?.replicas ?? 0);
      break;
    case 'jobs':
      f['status.successful'] = String(obj.status?.succeeded ?? 0);
      break;
    // certificates.k8s.io's SelectableFields: how a signer controller lists only its own requests.
    case 'certificatesigningrequests':
      f['spec.signerName'] = obj.spec?.signerName ?? '';
      break;
  }
  return f;
}

/** Rejects selectors on fields the resource does not index (kube: `field label not supported`). */
export function checkFieldSelector(plural: string, sel: FieldSelector, sample: Record<string, string>): void {
  for (const r of sel.requirements) {
    if (!(r.field in sample)) throw badRequest(`field label not supported: ${r.field}`);
  }
}
