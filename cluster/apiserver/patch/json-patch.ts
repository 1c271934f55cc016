// RFC 6902 JSON Patch (application/json-patch+json), applied by fast-json-patch: add, remove, replace,
// move, copy, test, with RFC 6901 pointers. Every operation is validated as it is applied, the input
// is never changed (the patch works on a copy) and a failure throws a PatchError that names the
// operation and its path as kube's messages do (never the document: the library's own message
// carries the whole tree).
import jsonpatch, { type Operation } from 'fast-json-patch';

export class PatchError extends Error {}

type J = any;

/** kube-apiserver's (evanphx/json-patch's) wording where there is one. */
function describe(err: { name?: string; index?: number; message: string }, ops: Operation[]): string {
  const i = err.index ?? -1;
  const o = (ops[i] ?? {}) as { op?: string; path?: string; from?: string };
  switch (err.name) {
    case 'TEST_OPERATION_FAILED':
      return `testing value ${o.path} failed: test failed`;
    case 'OPERATION_PATH_UNRESOLVABLE':
      return `${o.op} operation does not apply: doc is missing path: "${o.path}"`;
    case 'OPERATION_FROM_UNRESOLVABLE':
      return `${o.op} operation does not apply: doc is missing from path: "${o.from}"`;
    case 'OPERATION_OP_INVALID':
      return `Unexpected kind: ${String(o.op)}`;
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
      return `${o.op} operation: array index out of bounds at "${o.path}"`;
  }
  const first = err.message
    .split('\n')[0]!
    .replace(/^JSON-Patch: /, '')
    .replace(/, if this was on purpose.*$/, '');
  return i >= 0 ? `operation ${i}: ${first}` : first;
}

export function applyJsonPatch(original: J, patch: unknown): J {
  if (!Array.isArray(patch)) throw new PatchError('json patch must be an array of operations');
  patch.forEach((o: J, i: number) => {
    if (!o || typeof o !== 'object' || typeof o.op !== 'string' || typeof o.path !== 'string')
      throw new PatchError(`operation ${i}: needs "op" and "path"`);
  });
  const ops = patch as Operation[];
  try {
    // validate each operation, mutate our own copy, refuse __proto__/constructor paths.
    return jsonpatch.applyPatch(structuredClone(original), structuredClone(ops), true, true, true).newDocument;
  } catch (err) {
    throw new PatchError(describe(err as Error & { index?: number }, ops));
  }
}
