// Argument checks shared by the store's calls (bad input gets a ValidationError naming the argument
// and changes nothing), and how a failed SQLite call becomes the store's typed error.
import { StoreError } from './backend.js';
import { ValidationError } from '../../common/errors.js';

export function toStoreError(what: string, err: unknown): Error {
  if (err instanceof StoreError || err instanceof ValidationError) return err;
  const code = (err as { code?: string }).code;
  if (code === 'SQLITE_BUSY')
    return new StoreError(`${what}: another process held the store's write lock too long`, { cause: err });
  return new StoreError(`${what} failed`, { cause: err });
}

export function checkKey(op: string, key: unknown): void {
  if (typeof key !== 'string' || key.length === 0)
    throw new ValidationError(`store.${op}: key`, 'must be a non-empty string');
}

export function checkPrefix(op: string, prefix: unknown): void {
  if (typeof prefix !== 'string') throw new ValidationError(`store.${op}: prefix`, 'must be a string');
}

export function checkValue(op: string, value: unknown): void {
  if (!Buffer.isBuffer(value)) throw new ValidationError(`store.${op}: value`, 'must be a Buffer');
}

export function checkLease(op: string, lease: unknown): void {
  if (!Number.isSafeInteger(lease) || (lease as number) < 0)
    throw new ValidationError(`store.${op}: lease`, `must be a non-negative integer, got ${String(lease)}`);
}

export function checkRevision(op: string, revision: unknown, name = 'revision'): void {
  if (!Number.isSafeInteger(revision) || (revision as number) < 0) {
    throw new ValidationError(`store.${op}: ${name}`, `must be a non-negative integer, got ${String(revision)}`);
  }
}
