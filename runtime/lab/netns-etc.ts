// A lab namespace's own /etc files (DESIGN.md invariant 6): /etc/netns/<ns>/{resolv.conf,hosts},
// which `ip netns exec` bind-mounts over /etc, so lookups inside use the lab's resolver and the
// namespace knows its own name. Written as plain files (no helper process: they are just files,
// named from validated namespace names); netns-down.sh and sweep.sh remove them.
import type { HostDriver } from '../host/host-driver.js';
import { isLabNamespace } from '../../common/names.js';

export async function writeNetnsEtc(
  driver: HostDriver,
  netns: string,
  hostname: string,
  nameserver: string,
  ip?: string,
): Promise<void> {
  if (!isLabNamespace(netns)) throw new Error(`not a lab namespace name: ${netns}`);
  const dir = `/etc/netns/${netns}`;
  const hosts = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    `127.0.1.1\t${hostname}`,
    ...(ip ? [`${ip}\t${hostname}`] : []),
    '',
  ].join('\n');
  await Promise.all([
    driver.writeFile(
      `${dir}/resolv.conf`,
      `# kubewire lab resolver (the emulated Internet)\nnameserver ${nameserver}\n`,
    ),
    driver.writeFile(`${dir}/hosts`, hosts),
  ]);
}
