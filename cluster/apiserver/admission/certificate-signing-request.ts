// certificates.k8s.io/v1 CertificateSigningRequest, what kube's registry strategy and validation do
// (pkg/registry/certificates, pkg/apis/certificates/validation): on create the requester's identity
// is recorded in spec (username, uid, groups, extra) whatever the client sent; spec is immutable;
// /approval changes only the Approved/Denied conditions, /status the certificate and other
// conditions; an approval or denial, once made, stays; a request is a PEM CERTIFICATE REQUEST.
import { rfc3339 } from '../clock.js';
import type { Clock } from '../clock.js';
import type { KObject } from '../registry/object-store.js';
import { invalid, type FieldError } from '../status.js';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin } from './admission.js';

const KNOWN_USAGES = new Set([
  'signing',
  'digital signature',
  'content commitment',
  'key encipherment',
  'key agreement',
  'data encipherment',
  'cert sign',
  'crl sign',
  'encipher only',
  'decipher only',
  'any',
  'server auth',
  'client auth',
  'code signing',
  'email protection',
  's/mime',
  'ipsec end system',
  'ipsec tunnel',
  'ipsec user',
  'timestamping',
  'ocsp signing',
  'microsoft sgc',
  'netscape sgc',
]);

type Condition = {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
};

const isCsr = (a: AdmissionAttributes) =>
  a.resource.plural === 'certificatesigningrequests' && a.resource.group === 'certificates.k8s.io';

export class CertificateSigningRequestMutation implements MutatingPlugin {
  readonly name = 'CertificateSigningRequest';
  constructor(private readonly clock: Clock) {}

  admit(a: AdmissionAttributes): void {
    if (!isCsr(a) || !a.object) return;
    const csr = a.object;
    if (a.operation === 'CREATE') {
      const spec = (csr.spec ??= {});
      spec.username = a.user.name;
      if (a.user.uid) spec.uid = a.user.uid;
      else delete spec.uid;
      spec.groups = a.user.groups;
      if (a.user.extra && Object.keys(a.user.extra).length) spec.extra = a.user.extra;
      else delete spec.extra;
      csr.status = {};
      return;
    }
    if (a.operation !== 'UPDATE' || !a.oldObject) return;
    const old = a.oldObject;
    csr.spec = old.spec;
    const now = rfc3339(this.clock.now());
    const oldConds = (old.status?.conditions ?? []) as Condition[];
    const approval = (c: Condition) => c.type === 'Approved' || c.type === 'Denied';
    if (a.subresource === 'approval') {
      csr.status = { ...(old.status ?? {}), conditions: (csr.status?.conditions ?? []) as Condition[] };
    } else if (a.subresource === 'status') {
      // The approval conditions are the /approval subresource's; the rest (Failed…) and the certificate are ours.
      const mine = ((csr.status?.conditions ?? []) as Condition[]).filter((c) => !approval(c));
      csr.status = { ...(csr.status ?? {}), conditions: [...oldConds.filter(approval), ...mine] };
    } else {
      csr.status = old.status;
    }
    const conds = (csr.status.conditions ?? []) as Condition[];
    for (const c of conds) {
      const before = oldConds.find((o) => o.type === c.type);
      c.lastUpdateTime ??= before?.status === c.status ? (before.lastUpdateTime ?? now) : now;
      c.lastTransitionTime ??= before?.status === c.status ? (before.lastTransitionTime ?? now) : now;
    }
    if (!conds.length) delete csr.status.conditions;
  }
}

export class CertificateSigningRequestValidation implements ValidatingPlugin {
  readonly name = 'CertificateSigningRequestValidation';

  validate(a: AdmissionAttributes): void {
    if (!isCsr(a) || !a.object || (a.operation !== 'CREATE' && a.operation !== 'UPDATE')) return;
    const errs: FieldError[] = a.operation === 'CREATE' ? validateSpec(a.object) : [];
    const conds = (a.object.status?.conditions ?? []) as Condition[];
    const oldConds = (a.oldObject?.status?.conditions ?? []) as Condition[];
    const seen = new Set<string>();
    conds.forEach((c, i) => {
      if (!c.type) errs.push({ type: 'FieldValueRequired', field: `status.conditions[${i}].type`, detail: '' });
      if (!['True', 'False', 'Unknown'].includes(c.status))
        errs.push({
          type: 'FieldValueNotSupported',
          field: `status.conditions[${i}].status`,
          value: c.status,
          detail: 'supported values: "False", "True", "Unknown"',
        });
      if (seen.has(c.type) && ['Approved', 'Denied', 'Failed'].includes(c.type))
        errs.push({ type: 'FieldValueDuplicate', field: `status.conditions[${i}].type`, value: c.type, detail: '' });
      seen.add(c.type);
    });
    const has = (list: Condition[], t: string) => list.some((c) => c.type === t && c.status === 'True');
    if (has(conds, 'Approved') && has(conds, 'Denied'))
      errs.push({
        type: 'FieldValueInvalid',
        field: 'status.conditions',
        value: 'Approved',
        detail: 'Approved and Denied conditions are mutually exclusive',
      });
    for (const t of ['Approved', 'Denied'])
      if (has(oldConds, t) && !has(conds, t))
        errs.push({
          type: 'FieldValueForbidden',
          field: 'status.conditions',
          detail: `updates may not remove a condition of type "${t}"`,
        });
    if (
      a.object.status?.certificate &&
      a.oldObject?.status?.certificate &&
      a.object.status.certificate !== a.oldObject.status.certificate
    )
      errs.push({
        type: 'FieldValueForbidden',
        field: 'status.certificate',
        detail: 'updates may not modify existing certificate content',
      });
    if (errs.length)
      throw invalid('CertificateSigningRequest', 'certificates.k8s.io', a.name || a.object.metadata?.name || '', errs);
  }
}

function validateSpec(csr: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = csr.spec ?? {};
  const pem = typeof spec.request === 'string' ? Buffer.from(spec.request, 'base64').toString('utf8') : '';
  if (!spec.request) errs.push({ type: 'FieldValueRequired', field: 'spec.request', detail: '' });
  else if (!/-----BEGIN CERTIFICATE REQUEST-----[\s\S]+-----END CERTIFICATE REQUEST-----/.test(pem))
    errs.push({
      type: 'FieldValueInvalid',
      field: 'spec.request',
      value: '...',
      detail: 'PEM block type must be CERTIFICATE REQUEST',
    });
  if (!spec.signerName) errs.push({ type: 'FieldValueRequired', field: 'spec.signerName', detail: '' });
  else if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(spec.signerName))
    errs.push({
      type: 'FieldValueInvalid',
      field: 'spec.signerName',
      value: spec.signerName,
      detail: "must be a fully qualified domain and path of the form 'example.com/signer-name'",
    });
  if (!Array.isArray(spec.usages) || !spec.usages.length)
    errs.push({ type: 'FieldValueRequired', field: 'spec.usages', detail: 'usages must be provided' });
  else
    (spec.usages as string[]).forEach((u, i) => {
      if (!KNOWN_USAGES.has(u))
        errs.push({
          type: 'FieldValueNotSupported',
          field: `spec.usages[${i}]`,
          value: u,
          detail: `supported values: ${[...KNOWN_USAGES].map((x) => `"${x}"`).join(', ')}`,
        });
      else if ((spec.usages as string[]).indexOf(u) !== i)
        errs.push({ type: 'FieldValueDuplicate', field: `spec.usages[${i}]`, value: u, detail: '' });
    });
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds !== null && spec.expirationSeconds < 600)
    errs.push({
      type: 'FieldValueInvalid',
      field: 'spec.expirationSeconds',
      value: spec.expirationSeconds,
      detail: 'may not specify a duration less than 600 seconds (10 minutes)',
    });
  return errs;
}
