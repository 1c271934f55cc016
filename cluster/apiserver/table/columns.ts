// What a server-side printer is (the columns of a kind's Table and how a row's cells are made) and
// the columns and cells most kinds share: Name, Age, a template's containers and images.
import type { KObject } from '../registry/object-store.js';
import { formatLabelSelector } from '../selectors/label-selector.js';
import { since } from './human.js';

export interface Column {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

export interface Printer {
  columns: Column[];
  cells(obj: KObject, now: number): unknown[];
}

export const col = (name: string, type: Column['type'] = 'string', priority = 0, format = ''): Column => ({
  name,
  type,
  format,
  description: name,
  priority,
});

export const nameCol = col('Name', 'string', 0, 'name');

export const age = col('Age');

export const ageOf = (o: KObject, now: number) => since(now, o.metadata?.creationTimestamp);

export const containersOf = (t: KObject | undefined) =>
  (t?.spec?.containers ?? []).map((c: KObject) => c.name).join(',');

export const imagesOf = (t: KObject | undefined) => (t?.spec?.containers ?? []).map((c: KObject) => c.image).join(',');

/** The `-o wide` columns of a kind with a pod template and a selector. */
export const templateColumns: Column[] = [
  col('Containers', 'string', 1),
  col('Images', 'string', 1),
  col('Selector', 'string', 1),
];

/** The cells of templateColumns: spec.template's containers and images, spec.selector. */
export const templateCells = (o: KObject): unknown[] => [
  containersOf(o.spec?.template),
  imagesOf(o.spec?.template),
  formatLabelSelector(o.spec?.selector),
];
