// The JSONPath subset printer columns and scale paths use: `.a.b`, `.a[0]`, `.a['x.y']`, `.a[*].b`.
type Step = { key: string } | { index: number } | { all: true };

export function parseJsonPath(path: string): Step[] {
  const steps: Step[] = [];
  const re = /\.([A-Za-z0-9_$-]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]|\[\*\]/g;
  let m: RegExpExecArray | null;
  let at = 0;
  const p = path.replace(/^\{|\}$/g, '');
  while ((m = re.exec(p))) {
    if (m.index !== at) throw new Error(`unsupported JSONPath ${path}`);
    at = re.lastIndex;
    if (m[1] !== undefined) steps.push({ key: m[1] });
    else if (m[2] !== undefined) steps.push({ index: Number(m[2]) });
    else if (m[3] !== undefined || m[4] !== undefined) steps.push({ key: (m[3] ?? m[4])! });
    else steps.push({ all: true });
  }
  if (at !== p.length) throw new Error(`unsupported JSONPath ${path}`);
  return steps;
}

/** Every value the path selects (none when a step is missing). */
export function evalJsonPath(obj: unknown, path: string): unknown[] {
  let cur: unknown[] = [obj];
  for (const s of parseJsonPath(path)) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (
        'key' in s &&
        v &&
        typeof v === 'object' &&
        !Array.isArray(v) &&
        (v as Record<string, unknown>)[s.key] !== undefined
      )
        next.push((v as Record<string, unknown>)[s.key]);
      else if ('index' in s && Array.isArray(v) && v[s.index] !== undefined) next.push(v[s.index]);
      else if ('all' in s && Array.isArray(v)) next.push(...v);
    }
    cur = next;
  }
  return cur;
}

/** Sets a `.a.b` path, creating objects on the way. */
export function setJsonPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const steps = parseJsonPath(path);
  let cur: Record<string, unknown> = obj;
  steps.forEach((s, i) => {
    if (!('key' in s)) throw new Error(`unsupported path ${path}`);
    if (i === steps.length - 1) cur[s.key] = value;
    else {
      const n = cur[s.key];
      cur = (n && typeof n === 'object' && !Array.isArray(n) ? n : (cur[s.key] = {})) as Record<string, unknown>;
    }
  });
}
