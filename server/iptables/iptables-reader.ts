// Reads a lab namespace's iptables with counters: `ip netns exec NS iptables-save -c -t TABLE`,
// the system's default iptables (what a learner's `iptables -t nat -L -v` in that namespace shows).
import { KubewireError } from '../../common/errors.js';
import type { IptablesTable } from '../../common/iptables-contract.js';
import type { IptablesView } from '../../common/iptables-model.js';
import { parseIptablesSave } from '../../common/iptables-save.js';
import type { RunCommand } from '../run-command.js';

export async function readIptables(
  run: RunCommand,
  namespace: string,
  tables: readonly IptablesTable[],
): Promise<IptablesView> {
  const view: IptablesView = { namespace, source: 'iptables-save -c', tables: [] };
  for (const table of tables) {
    const r = await run(['ip', 'netns', 'exec', namespace, 'iptables-save', '-c', '-t', table], { timeoutMs: 10_000 });
    if (r.exitCode !== 0)
      throw new KubewireError(
        `iptables-save -t ${table} in ${namespace} failed (${r.exitCode}): ${r.stderr.trim().slice(0, 200)}`,
      );
    const parsed = parseIptablesSave(r.stdout);
    // An untouched table prints nothing: show its built-in chains as empty rather than nothing.
    view.tables.push(parsed.find((t) => t.name === table) ?? { name: table, chains: [] });
  }
  return view;
}
