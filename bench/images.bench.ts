// Image store figures: the first build of every built-in image into an empty store (goal ≤ 3 min
// on 2 cores), and a later ensure of all of them, which must build nothing (goal: no build; the
// ratio to the first build shows the cache). The store is a temporary one, so the machine's
// store is not touched.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openImageService } from '../runtime/images/local-image-service.js';
import type { BenchReport } from './main.js';

export const name = 'images';

export async function run(report: BenchReport): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kw-bench-images-'));
  try {
    const builds: string[] = [];
    const svc = await openImageService({ dir, builtins: { onBuild: (n) => builds.push(n) } });
    const load = (await import('node:os')).loadavg()[0]!;
    let t0 = performance.now();
    const first = await svc.ensureBuiltins();
    const firstMs = performance.now() - t0;
    report.figure('first build of all built-in images', firstMs / 1000, 's', { goal: '≤ 180 s', note: `load avg ${load.toFixed(1)} at start; ${builds.join(', ')}` });
    for (const img of first) report.log(`${img.ref}  ${(img.size / 1e6).toFixed(1)} MB compressed`);
    const before = builds.length;
    t0 = performance.now();
    const again = await openImageService({ dir, builtins: { onBuild: (n) => builds.push(n) } });
    for (const img of first) await again.ensure(img.ref, { policy: 'IfNotPresent' });
    const cachedMs = performance.now() - t0;
    report.figure('later start: ensure of all built-ins (cached)', cachedMs, 'ms', { goal: 'builds nothing', note: `${builds.length - before} builds` });
    report.figure('cached ensure / first build', cachedMs / firstMs, 'ratio');
    if (builds.length !== before) throw new Error(`a cached start built ${builds.slice(before).join(', ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
