// Is a topology's prefix free for it? Every object a lab makes is named and marked by its prefix,
// so two labs sharing one would be built on top of each other (a second cluster process, pods
// clashing), and a lab rebuilt under another prefix would leave the first one's objects orphaned.
// Checked by `up` before it stops or changes anything.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../../common/errors.js';
import type { Topology } from '../../common/topology/types.js';
import type { LabOwners } from './lab-owners.js';
import { loadState } from './lab-state.js';

export async function assertPrefixFree(stateBase: string, topo: Topology, owners: LabOwners): Promise<void> {
  const where = `${topo.file}: prefix`;
  const own = await loadState(join(stateBase, topo.name, 'state.json')).catch(() => undefined);
  if (own && own.prefix !== topo.prefix) {
    throw new ValidationError(
      where,
      `lab ${topo.name} is already built with prefix ${own.prefix}; run kubewire reset --lab ${topo.name} first to use ${topo.prefix}`,
    );
  }
  const labs = existsSync(stateBase)
    ? readdirSync(stateBase, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== topo.name)
    : [];
  for (const d of labs) {
    const other = await loadState(join(stateBase, d.name, 'state.json')).catch(() => undefined);
    if (other?.prefix === topo.prefix) {
      throw new ValidationError(
        where,
        `${JSON.stringify(topo.prefix)} is already the prefix of lab ${d.name} (${join(stateBase, d.name)}): give this topology a prefix of its own, or reset that lab`,
      );
    }
  }
  const owner = owners.get(topo.prefix);
  if (owner && owners.running(topo.prefix) && owner.stateFile !== join(stateBase, topo.name, 'state.json')) {
    throw new ValidationError(
      where,
      `${JSON.stringify(topo.prefix)} is already the prefix of running lab ${owner.lab} (${owner.stateFile}): give this topology a prefix of its own, or reset that lab`,
    );
  }
}
