// Seeded random input for the fuzz suites: one PRNG (mulberry32) and generators of the values that
// break parsers (wrong types, huge and deep values, odd strings). A failing case is reproduced with
// KUBEWIRE_FUZZ_SEED=<seed printed by the test>.

export class Rng {
  private s: number;
  constructor(readonly seed: number) {
    this.s = seed >>> 0;
  }
  /** [0, 1) */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

export function fuzzSeed(fallback: number): number {
  const env = process.env.KUBEWIRE_FUZZ_SEED;
  return env && /^\d+$/.test(env) ? Number(env) : fallback;
}

const ODD_STRINGS = [
  '',
  ' ',
  'a',
  '-',
  '..',
  '../../etc/passwd',
  '%',
  '%zz',
  '%E0%A4',
  '\u0000',
  '\u202e',
  '😀',
  'é',
  '\\',
  '"',
  "'",
  '<script>',
  '${IFS}',
  '$(id)',
  ';id',
  'true',
  'True',
  'false',
  '0',
  '1',
  '-1',
  '1e3',
  '0x10',
  'NaN',
  'Infinity',
  '99999999999999999999',
  '-9223372036854775809',
  '9223372036854775807',
  'a'.repeat(64),
  'a'.repeat(254),
  'a'.repeat(70_000),
  'kw-',
  'kw-zz-node',
  'default',
  'kube-system',
  'system:masters',
];

export function oddString(r: Rng): string {
  if (r.chance(0.15)) return Array.from({ length: r.int(40) }, () => String.fromCharCode(r.int(0x3000))).join('');
  return r.pick(ODD_STRINGS);
}

export function nested(depth: number, leaf = '1'): string {
  return '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
}

/** A JSON value of a random shape: what replaces a field in a malformed body. */
export function junkValue(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 2 ? 7 : 10)) {
    case 0:
      return null;
    case 1:
      return oddString(r);
    case 2:
      return r.pick([0, -1, 1.5, 2 ** 31, 2 ** 53, -(2 ** 63), 1e308, Number.MIN_VALUE]);
    case 3:
      return r.chance(0.5);
    case 4:
      return [];
    case 5:
      return {};
    case 6:
      return [null];
    case 7:
      return Array.from({ length: r.int(4) }, () => junkValue(r, depth + 1));
    case 8:
      return Object.fromEntries(
        Array.from({ length: r.int(4) }, () => [oddString(r).slice(0, 20), junkValue(r, depth + 1)]),
      );
    default:
      return { [oddString(r).slice(0, 10)]: junkValue(r, depth + 1) };
  }
}

/** A copy of `o` with one field (at any depth) replaced, deleted, or a new one added. */
export function mutate(r: Rng, o: unknown): unknown {
  if (o === null || typeof o !== 'object') return junkValue(r);
  const copy = structuredClone(o) as Record<string, unknown>;
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, p: (string | number)[]) => {
    if (v === null || typeof v !== 'object') return;
    for (const [k, c] of Object.entries(v)) {
      const key = Array.isArray(v) && /^\d+$/.test(k) ? Number(k) : k;
      paths.push([...p, key]);
      walk(c, [...p, key]);
    }
  };
  walk(copy, []);
  if (paths.length === 0) return junkValue(r);
  const path = r.pick(paths);
  let parent: any = copy;
  for (const k of path.slice(0, -1)) parent = parent?.[k];
  // A path through a key such as "__proto__" does not lead back to what the walk saw.
  if (parent === null || typeof parent !== 'object') return junkValue(r);
  const last = path[path.length - 1]!;
  const op = r.int(3);
  if (op === 0) delete parent[last];
  else if (op === 1) parent[last] = junkValue(r);
  else parent[oddString(r).slice(0, 30) || 'x'] = junkValue(r);
  return copy;
}
