// "Details" of a device or namespace as a learner would see them typing the commands: `ip -d link`,
// addresses, routes, neighbours, FDB, each with the argv so it can be retyped in a terminal.
import type { DeviceDetails } from '../../common/ui-contract.js';
import type { RunCommand } from '../run-command.js';

export async function readDeviceDetails(
  run: RunCommand,
  ns: string,
  ifname: string | undefined,
): Promise<DeviceDetails> {
  const dev = ifname ? ['dev', ifname] : [];
  const plan: { title: string; command: string[] }[] = [
    { title: 'link', command: ['ip', '-n', ns, '-d', 'link', 'show', ...dev] },
    { title: 'addresses', command: ['ip', '-n', ns, 'addr', 'show', ...dev] },
    { title: 'routes', command: ['ip', '-n', ns, 'route', 'show', ...dev] },
    { title: 'neighbours', command: ['ip', '-n', ns, 'neigh', 'show', ...dev] },
    { title: 'fdb', command: ['bridge', '-n', ns, 'fdb', 'show', ...(ifname ? ['dev', ifname] : [])] },
  ];
  const sections = await Promise.all(
    plan.map(async (p) => {
      const r = await run(p.command, { timeoutMs: 5000 });
      return { ...p, output: r.exitCode === 0 ? r.stdout : `exit ${r.exitCode}: ${r.stderr}` };
    }),
  );
  return { namespace: ns, ifname: ifname ?? null, sections };
}
