// metadata.managedFields in and out: entries decoded into field sets keyed by kube's manager
// identifier (the entry as JSON without time and fields; Apply entries without apiVersion too),
// and encoded back in kube's field order and sort order (operation, time, manager, apiVersion,
// subresource).
import { FieldSet } from './field-set.js';

export interface ManagedEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  set: FieldSet;
}

export class ManagedFieldsError extends Error {}

/** kube's BuildManagerIdentifier: the entry's JSON without time and fields (and apiVersion for Apply). */
export function managerKey(e: Pick<ManagedEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  const o: Record<string, string> = { manager: e.manager, operation: e.operation };
  if (e.operation !== 'Apply' && e.apiVersion) o.apiVersion = e.apiVersion;
  if (e.subresource) o.subresource = e.subresource;
  return JSON.stringify(o);
}

export function decodeManagedFields(v: unknown): Map<string, ManagedEntry> {
  const out = new Map<string, ManagedEntry>();
  if (v === undefined || v === null) return out;
  if (!Array.isArray(v)) throw new ManagedFieldsError('managedFields must be a list');
  for (const raw of v) {
    if (!raw || typeof raw !== 'object') throw new ManagedFieldsError('managedFields entries must be objects');
    const e = raw as Record<string, any>;
    if (e.fieldsType !== undefined && e.fieldsType !== 'FieldsV1')
      throw new ManagedFieldsError(`invalid fieldsType "${e.fieldsType}"`);
    if (e.operation !== 'Apply' && e.operation !== 'Update')
      throw new ManagedFieldsError(`invalid operation "${e.operation ?? ''}"`);
    const entry: ManagedEntry = {
      manager: String(e.manager ?? ''),
      operation: e.operation,
      apiVersion: String(e.apiVersion ?? ''),
      time: typeof e.time === 'string' ? e.time : undefined,
      subresource: e.subresource ? String(e.subresource) : undefined,
      set: FieldSet.fromFieldsV1(e.fieldsV1),
    };
    const key = managerKey(entry);
    if (out.has(key)) throw new ManagedFieldsError(`duplicate entries for manager ${key}`);
    out.set(key, entry);
  }
  return out;
}

const seconds = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function encodeManagedFields(entries: Iterable<ManagedEntry>): Record<string, unknown>[] {
  const list = [...entries].filter((e) => !e.set.empty());
  list.sort(
    (p, q) =>
      cmp(p.operation, q.operation) ||
      seconds(p.time) - seconds(q.time) ||
      cmp(p.manager, q.manager) ||
      cmp(p.apiVersion, q.apiVersion) ||
      cmp(p.subresource ?? '', q.subresource ?? ''),
  );
  return list.map((e) => {
    const o: Record<string, unknown> = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion };
    if (e.time) o.time = e.time;
    o.fieldsType = 'FieldsV1';
    o.fieldsV1 = e.set.toFieldsV1();
    if (e.subresource) o.subresource = e.subresource;
    return o;
  });
}

/** How a conflict names its manager (kube's printManager). */
export function printManager(e: Pick<ManagedEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`;
  return s;
}
