// Which printer a resource's Table uses: the built-in printers by plural, a custom resource's
// additionalPrinterColumns (JSONPath cells; dates as ages, as apiextensions-apiserver's table
// convertor prints them), and CustomResourceDefinitions' NAME / CREATED AT.
import { evalJsonPath } from '../crd/json-path.js';
import type { KObject } from '../registry/object-store.js';
import type { ResourceInfo } from '../resources.js';
import { since } from './human.js';
import type { Column, Printer } from './columns.js';
import { printerFor } from './printers.js';

const nameColumn: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  priority: 0,
};

const crdPrinter: Printer = {
  columns: [nameColumn, { name: 'Created At', type: 'date', format: '', description: 'Created At', priority: 0 }],
  cells: (o: KObject) => [o.metadata?.name, o.metadata?.creationTimestamp ?? null],
};

const apiServicePrinter: Printer = {
  columns: [
    nameColumn,
    {
      name: 'Service',
      type: 'string',
      format: '',
      description: 'The reference to the service that hosts this API endpoint.',
      priority: 0,
    },
    { name: 'Available', type: 'string', format: '', description: 'Whether this service is available.', priority: 0 },
    { name: 'Age', type: 'string', format: '', description: 'Age', priority: 0 },
  ],
  cells: (o: KObject, now: number) => {
    const svc = o.spec?.service;
    const c = ((o.status?.conditions ?? []) as KObject[]).find((x) => x.type === 'Available');
    const available = !c ? 'Unknown' : c.status === 'True' ? 'True' : `${c.status} (${c.reason})`;
    return [
      o.metadata?.name,
      svc ? `${svc.namespace}/${svc.name}` : 'Local',
      available,
      since(now, o.metadata?.creationTimestamp),
    ];
  },
};

function customPrinter(r: ResourceInfo): Printer {
  const cols = r.custom!.columns;
  return {
    columns: [
      nameColumn,
      ...cols.map((c) => ({
        name: c.name,
        type: c.type,
        format: c.format,
        description: c.description,
        priority: c.priority,
      })),
    ],
    cells: (o: KObject, now: number) => [
      o.metadata?.name,
      ...cols.map((c) => {
        let vals: unknown[];
        try {
          vals = evalJsonPath(o, c.jsonPath);
        } catch {
          return null;
        }
        if (!vals.length) return null;
        const v =
          vals.length === 1
            ? vals[0]
            : vals.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(',');
        if (c.type === 'date' && typeof v === 'string') return since(now, v);
        if (v !== null && typeof v === 'object') return JSON.stringify(v);
        return v;
      }),
    ],
  };
}

export function printerOf(r: ResourceInfo): Printer {
  if (r.custom) return customPrinter(r);
  if (r.group === 'apiextensions.k8s.io' && r.plural === 'customresourcedefinitions') return crdPrinter;
  if (r.group === 'apiregistration.k8s.io' && r.plural === 'apiservices') return apiServicePrinter;
  return printerFor(r.plural);
}
