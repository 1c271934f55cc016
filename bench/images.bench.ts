// Image store figures: the first build of every built-in image into an empty store (goal ≤ 3 min
// on 2 cores), and a later ensure of all of them, which must build nothing (goal: no build; the
// ratio to the first build shows the cache). The store is a temporary one, so the machine's
// store is not touched.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openImageService } from '../runtime/images/local-image-service.js';
import type { BenchReport } from './main.js';

export const name = 'images';

/** User+system seconds of waited-for child processes (fields cutime, cstime of /proc/self/stat). */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

export async function run(report: BenchReport): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kw-bench-images-'));
  try {
    const builds: string[] = [];
    const svc = await openImageService({ dir, builtins: { onBuild: (n) => builds.push(n) } });
    const load = (await import('node:os')).loadavg()[0]!;
    const cpu0 = childrenCpuSeconds() + process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6;
    let t0 = performance.now();
    const first = await svc.ensureBuiltins();
    const firstMs = performance.now() - t0;
    const cpu = childrenCpuSeconds() + process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 - cpu0;
    report.figure('first build of all built-in images', firstMs / 1000, 's', {
      goal: '≤ 180 s',
      note: `load avg ${load.toFixed(1)} at start; ${builds.join(', ')}`,
    });
    // Wall time here depends on what else the shared cores run; the CPU it took does not.
    report.figure('  CPU time of that build (user+sys, with children)', cpu, 's', {
      note: `${(cpu / 2).toFixed(0)} s of 2 idle cores at best`,
    });
    for (const img of first) report.log(`${img.ref}  ${(img.size / 1e6).toFixed(1)} MB compressed`);
    const before = builds.length;
    t0 = performance.now();
    const again = await openImageService({ dir, builtins: { onBuild: (n) => builds.push(n) } });
    for (const img of first) await again.ensure(img.ref, { policy: 'IfNotPresent' });
    const cachedMs = performance.now() - t0;
    report.figure('later start: ensure of all built-ins (cached)', cachedMs, 'ms', {
      goal: 'builds nothing',
      note: `${builds.length - before} builds`,
    });
    report.figure('cached ensure / first build', cachedMs / firstMs, 'ratio');
    if (builds.length !== before) throw new Error(`a cached start built ${builds.slice(before).join(', ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
