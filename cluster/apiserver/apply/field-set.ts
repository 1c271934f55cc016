// Sets of field paths, as structured-merge-diff's fieldpath.Set: members (paths owned as a whole)
// and children (paths descended into), keyed by path elements in their fieldsV1 spelling —
// `f:<field>`, `k:<key fields as JSON>`, `v:<value as JSON>`, `i:<index>` — so the set converts
// to and from managedFields' FieldsV1 without translation, sorted as SMD sorts them.

export type PathElement = string;
export type Path = PathElement[];

const RANK: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** Go's string order (UTF-8 bytes), which is SMD's for field names. */
function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function valueCompare(a: unknown, b: unknown): number {
  const rank = (v: unknown) =>
    v === null
      ? 0
      : typeof v === 'boolean'
        ? 1
        : typeof v === 'number'
          ? 2
          : typeof v === 'string'
            ? 3
            : Array.isArray(v)
              ? 4
              : 5;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return byteCompare(a, b);
  if (typeof a === 'boolean') return Number(a) - Number(b);
  return byteCompare(JSON.stringify(a), JSON.stringify(b));
}

export function comparePathElements(a: PathElement, b: PathElement): number {
  const ra = RANK[a[0]!]!;
  const rb = RANK[b[0]!]!;
  if (ra !== rb) return ra - rb;
  const x = a.slice(2);
  const y = b.slice(2);
  switch (a[0]) {
    case 'f':
      return byteCompare(x, y);
    case 'i':
      return Number(x) - Number(y);
    case 'v':
      return valueCompare(JSON.parse(x), JSON.parse(y));
    default: {
      // Keys: field by field (names sorted), name first, then value.
      const ka = Object.entries(JSON.parse(x) as Record<string, unknown>);
      const kb = Object.entries(JSON.parse(y) as Record<string, unknown>);
      for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
        const c = byteCompare(ka[i]![0], kb[i]![0]) || valueCompare(ka[i]![1], kb[i]![1]);
        if (c) return c;
      }
      return ka.length - kb.length;
    }
  }
}

export const fieldPE = (name: string): PathElement => `f:${name}`;
export const indexPE = (i: number): PathElement => `i:${i}`;
export const valuePE = (v: unknown): PathElement => `v:${JSON.stringify(v)}`;
export function keyPE(fields: Record<string, unknown>): PathElement {
  const sorted = Object.keys(fields).sort(byteCompare);
  return `k:{${sorted.map((k) => `${JSON.stringify(k)}:${JSON.stringify(fields[k])}`).join(',')}}`;
}

/** `.spec.containers[name="app"].image`, as fieldpath.Path.String() prints it. */
export function pathString(path: Path): string {
  return path
    .map((pe) => {
      const body = pe.slice(2);
      switch (pe[0]) {
        case 'f':
          return `.${body}`;
        case 'i':
          return `[${body}]`;
        case 'v':
          return `[=${body}]`;
        default:
          return `[${Object.entries(JSON.parse(body) as Record<string, unknown>)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(',')}]`;
      }
    })
    .join('');
}

export class FieldSet {
  readonly members = new Set<PathElement>();
  readonly children = new Map<PathElement, FieldSet>();

  insert(path: Path): void {
    if (path.length === 1) this.members.add(path[0]!);
    else if (path.length > 1) this.child(path[0]!).insert(path.slice(1));
  }

  private child(pe: PathElement): FieldSet {
    let c = this.children.get(pe);
    if (!c) this.children.set(pe, (c = new FieldSet()));
    return c;
  }

  has(path: Path): boolean {
    if (path.length === 1) return this.members.has(path[0]!);
    return path.length > 1 && !!this.children.get(path[0]!)?.has(path.slice(1));
  }

  empty(): boolean {
    if (this.members.size) return false;
    for (const c of this.children.values()) if (!c.empty()) return false;
    return true;
  }

  union(o: FieldSet): FieldSet {
    const out = this.clone();
    out.addAll(o);
    return out;
  }

  private addAll(o: FieldSet): void {
    for (const m of o.members) this.members.add(m);
    for (const [pe, c] of o.children) this.child(pe).addAll(c);
  }

  clone(): FieldSet {
    const out = new FieldSet();
    out.addAll(this);
    return out;
  }

  /** Members of `o` removed at every level (not their descendants). */
  difference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!o.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const oc = o.children.get(pe);
      const d = oc ? c.difference(oc) : c.clone();
      if (!d.empty()) out.children.set(pe, d);
    }
    return out;
  }

  /** Like difference, but a member of `o` also removes everything below it. */
  recursiveDifference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!o.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      if (o.members.has(pe)) continue;
      const oc = o.children.get(pe);
      const d = oc ? c.recursiveDifference(oc) : c.clone();
      if (!d.empty()) out.children.set(pe, d);
    }
    return out;
  }

  intersection(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (o.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const oc = o.children.get(pe);
      if (!oc) continue;
      const d = c.intersection(oc);
      if (!d.empty()) out.children.set(pe, d);
    }
    return out;
  }

  /** Every member path, in SMD's order. */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = [];
    const pes = [...new Set([...this.members, ...this.children.keys()])].sort(comparePathElements);
    for (const pe of pes) {
      if (this.members.has(pe)) out.push([...prefix, pe]);
      const c = this.children.get(pe);
      if (c) out.push(...c.paths([...prefix, pe]));
    }
    return out;
  }

  /** The FieldsV1 form: `{"f:spec":{".":{},"f:replicas":{}}}` ("." when a member also has children). */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const pes = [...new Set([...this.members, ...this.children.keys()])].sort(comparePathElements);
    for (const pe of pes) {
      const c = this.children.get(pe);
      const inner = c && !c.empty() ? c.toFieldsV1() : undefined;
      if (inner && this.members.has(pe)) out[pe] = { '.': {}, ...inner };
      else if (inner) out[pe] = inner;
      else if (this.members.has(pe)) out[pe] = {};
    }
    return out;
  }

  static fromFieldsV1(v: unknown): FieldSet {
    const out = new FieldSet();
    if (!v || typeof v !== 'object' || Array.isArray(v)) return out;
    for (const [pe, inner] of Object.entries(v as Record<string, unknown>)) {
      if (pe === '.' || !/^[fkvi]:/.test(pe)) continue;
      const keys = inner && typeof inner === 'object' ? Object.keys(inner) : [];
      if (keys.length === 0 || keys.includes('.')) out.members.add(pe);
      const c = FieldSet.fromFieldsV1(inner);
      if (!c.empty()) out.children.set(pe, c);
    }
    return out;
  }
}
