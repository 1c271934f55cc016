// meta.k8s.io/v1 Table responses: rows of printed cells plus, per `includeObject`, nothing, the
// object's metadata (PartialObjectMetadata, the default) or the whole object.
import type { KObject } from '../registry/object-store.js';
import { badRequest } from '../status.js';
import type { Printer } from './columns.js';
import { printerFor } from './printers.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function parseIncludeObject(v: string | null): IncludeObject {
  if (v === null || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw badRequest(`includeObject: Unsupported value: "${v}": supported values: "Metadata", "None", "Object"`);
}

export function partialObjectMetadata(obj: KObject): KObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
}

export function toTable(
  plural: string | Printer,
  objects: KObject[],
  listMeta: KObject,
  include: IncludeObject,
  now: number,
  withColumns = true,
): KObject {
  const p = typeof plural === 'string' ? printerFor(plural) : plural;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: withColumns ? p.columns : [],
    rows: objects.map((o) => {
      const row: KObject = { cells: p.cells(o, now) };
      if (include === 'Metadata') row.object = partialObjectMetadata(o);
      else if (include === 'Object') row.object = o;
      return row;
    }),
  };
}
