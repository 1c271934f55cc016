// Request bodies: read with a size cap (413 beyond it, like kube-apiserver's 3 MiB), then decode
// JSON or YAML into one object; anything else is a 400/415 naming the problem.
import type { IncomingMessage } from 'node:http';
import { parseYaml } from '../../../common/yaml-depth.js';
import { decodeK8sProtobuf } from '../protobuf/decode.js';
import { ApiError, badRequest, tooLarge, unsupportedMediaType } from '../status.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      // Drain without buffering so the connection can still carry the error answer.
      req.resume();
      reject(tooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
  });
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Decodes a create/update body (JSON, or YAML as kube-apiserver also accepts). */
export function decodeObject(body: Buffer, contentType: string | undefined, what: string): Record<string, any> {
  const type = mediaType(contentType) || 'application/json';
  if (body.length === 0) throw badRequest(`the body of the request was empty`);
  let value: unknown;
  if (type === 'application/json') {
    try {
      value = parseJson(body.toString('utf8'));
    } catch (err) {
      throw badRequest(`${what}: couldn't get version/kind; json parse error: ${(err as Error).message}`);
    }
  } else if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') {
    try {
      // Depth-checked before yaml's recursive composer (common/yaml-depth.ts).
      value = parseYaml(body.toString('utf8'));
      if (valueDepth(value) > MAX_JSON_DEPTH) throw new SyntaxError('exceeded max depth');
    } catch (err) {
      throw badRequest(`${what}: error converting YAML to JSON: ${(err as Error).message}`);
    }
  } else if (type === 'application/vnd.kubernetes.protobuf') {
    try {
      value = decodeK8sProtobuf(body);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw badRequest(`${what}: ${(err as Error).message}`);
    }
  } else {
    throw unsupportedMediaType(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw badRequest(`${what}: the request body must be a JSON object`);
  return value as Record<string, any>;
}

/** A JSON body (DeleteOptions, patches); DeleteOptions may also come as protobuf. */
export function decodeJson(body: Buffer, what: string, contentType?: string): unknown {
  if (mediaType(contentType) === 'application/vnd.kubernetes.protobuf') return decodeK8sProtobuf(body);
  try {
    return parseJson(body.toString('utf8'));
  } catch (err) {
    throw badRequest(`${what}: ${(err as Error).message}`);
  }
}

/**
 * Nesting depth a body may have. Go's encoding/json (under apimachinery's decoder) stops at 10000
 * with "exceeded max depth"; here the limit is far lower because the registry's walks (merge and
 * strategic-merge patches, managed fields, validation) recurse per level and use ~800 bytes of
 * stack each in V8's interpreter: a 999-deep merge patch used ~800 KiB of Node's 984 KiB stack.
 * Near the limit the overflow is not always a RangeError: where it lands inside V8's regexp
 * compiler, the process aborts ("RegExpCompiler Allocation failed - process out of memory"), which
 * is how 1,000-deep bodies intermittently killed the apiserver under the fuzz suite. 200 levels
 * keep every walk under a fifth of the stack; no Kubernetes object comes near (the deepest
 * built-in schemas are a few dozen levels, CRD schemas about twice theirs).
 */
export const MAX_JSON_DEPTH = 200;

/** JSON.parse after an iterative depth check, so a deeply nested body is a 400, not a stack overflow. */
export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (jsonDepth(text) > maxDepth) throw new SyntaxError('exceeded max depth');
  return JSON.parse(text);
}

/** The deepest bracket nesting outside strings (a scan, no recursion). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return max;
}

/** Nesting depth of a decoded value, walked with an explicit stack. */
export function valueDepth(root: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d + 1 > max) max = d + 1;
    if (max > MAX_JSON_DEPTH) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v as object)) stack.push([child, d + 1]);
  }
  return max;
}
