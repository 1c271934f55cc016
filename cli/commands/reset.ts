// `kubewire reset [--lab L] [--all]`: remove every process, namespace, mount, cgroup and file of
// the lab, from its state and by its marks (so it also cleans up after a kill -9). Without --all
// it says which other labs (and unowned marked processes) it left alone; --all resets every lab of
// the state folder and ends every marked process that belongs to no running lab.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { stopClusterProcess } from '../../cluster/agents/cluster-process.js';
import { LabCgroup, trackingHierarchy } from '../../runtime/lab/lab-cgroup.js';
import { orphanPrefixes } from '../../runtime/lab/lab-orphans.js';
import { LabOwners } from '../../runtime/lab/lab-owners.js';
import { loadState } from '../../runtime/lab/lab-state.js';
import { badFlag } from '../args.js';
import { labCommandSpec, makeRuntime, parseLabOptions, resolveLabName, type LabOptions } from './lab-context.js';

/** Labs with a state folder under the state base. */
export function labsIn(stateBase: string): string[] {
  if (!existsSync(stateBase)) return [];
  return readdirSync(stateBase, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(stateBase, d.name, 'state.json')))
    .map((d) => d.name)
    .sort();
}

async function resetOne(o: LabOptions, lab: string, prefixOverride?: string): Promise<string> {
  const { runtime, paths, driver } = makeRuntime(o, lab);
  const prefix = prefixOverride ?? (await loadState(paths.state).catch(() => undefined))?.prefix ?? 'kw-';
  await stopClusterProcess(paths, driver).catch(() => undefined); // the cgroup kill below ends it if this fails
  const r = await runtime.reset(prefix);
  return `lab ${lab} reset: ${r.processes.length} processes ended, ${r.namespaces.length} namespaces removed, ${r.mounts.length} mounts and ${r.cgroups.length} cgroups removed (prefix ${prefix}), state folder ${paths.dir} deleted`;
}

const RESET = labCommandSpec({
  command: 'reset',
  usage: `usage: kubewire reset [--lab ID] [--all]
  remove every object, process and the state of the lab
  --all             of every lab of the state folder, and marked processes of no running lab`,
  flags: { all: { type: 'boolean' } },
});

export async function reset(args: string[]): Promise<number> {
  const o = parseLabOptions(RESET, args);
  const all = o.flags.all ?? false;
  const owners = new LabOwners();
  const hierarchy = trackingHierarchy();
  if (all) {
    if (o.lab) throw badFlag(RESET, 'all', 'excludes --lab (and $KUBEWIRE_LAB)');
    for (const lab of labsIn(o.stateBase)) console.log(await resetOne(o, lab));
    for (const prefix of orphanPrefixes(hierarchy, owners)) {
      const cg = new LabCgroup(hierarchy, prefix);
      const killed = await cg.kill();
      cg.remove();
      owners.remove(prefix);
      console.log(`prefix ${prefix}: ${killed.length} marked processes of no running lab ended, its cgroups removed`);
    }
    return 0;
  }
  const lab = resolveLabName(o);
  console.log(await resetOne(o, lab, o.prefix));
  const others = labsIn(o.stateBase).filter((l) => l !== lab);
  if (others.length)
    console.log(
      `not touched: lab${others.length > 1 ? 's' : ''} ${others.join(', ')} in ${o.stateBase} (kubewire reset --lab NAME, or --all)`,
    );
  const orphans = orphanPrefixes(hierarchy, owners).filter((p) => new LabCgroup(hierarchy, p).pids().length > 0);
  if (orphans.length)
    console.log(
      `not touched: marked processes of no running lab (prefix ${orphans.join(', ')}): kubewire doctor lists them, kubewire reset --all ends them`,
    );
  return 0;
}
