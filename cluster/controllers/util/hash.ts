// The pod-template-hash label and ControllerRevision-style names: kube-controller-manager hashes the
// pod template with FNV-32a (plus the collision count) and spells the number with
// rand.SafeEncodeString's alphabet, which has no vowels so a hash never spells a word.

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(s, 'utf8');
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** rand.SafeEncodeString: each character of s mapped into the vowel-free alphabet. */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE[s.charCodeAt(i) % SAFE.length];
  return out;
}

/** JSON with object keys sorted, so equal templates hash equal whatever order their keys came in. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** controller.ComputeHash: the pod-template-hash of a template (given collisionCount). */
export function computeHash(template: unknown, collisionCount?: number): string {
  const s = stableJson(template) + (collisionCount ? `#${collisionCount}` : '');
  return safeEncode(String(fnv32a(s)));
}
