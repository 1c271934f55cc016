// doctor on this host: kernel link kinds are probed by making one in a throwaway namespace (veth
// is built into some kernels with no /sys/module entry and no modules.builtin), the relay's socat
// and the article's brctl are checked, and marked processes of no running lab are listed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { runDoctor, probeLink } from '../../../runtime/lab/doctor.js';
import { NetnsDriver } from '../../../runtime/host/netns-driver.js';
import { pauseBinary, scriptsDir } from '../../../runtime/project-root.js';

test('veth, bridge and vxlan are reported available when the kernel can make them, and the host keeps no probe link', async () => {
  const before = (await execa('ip', ['-br', 'link'])).stdout;
  const r = await runDoctor(new NetnsDriver(scriptsDir()), {
    snapshotPath: '/nonexistent',
    pauseBinary: pauseBinary(),
    orphans: () => [],
  });
  for (const kind of ['veth', 'bridge', 'vxlan']) {
    const c = r.checks.find((x) => x.name === `kernel ${kind}`);
    assert.ok(c?.ok, `doctor says: ${JSON.stringify(c)}`);
  }
  assert.equal((await execa('ip', ['-br', 'link'])).stdout, before);
  assert.equal((await probeLink(['name', 'kwprobe9', 'type', 'nosuchkind'])).ok, false);
});

test('doctor checks socat (the apiserver relay) and brctl (the article), and lists orphaned marked processes', async () => {
  const r = await runDoctor(new NetnsDriver(scriptsDir()), {
    snapshotPath: '/nonexistent',
    pauseBinary: pauseBinary(),
    orphans: () => [{ pid: 4242, prefix: 'kw-tzz-', args: 'sleep infinity' }],
  });
  for (const c of ['socat', 'brctl'])
    assert.equal(
      r.checks.find((x) => x.name === `command ${c}`)?.ok,
      true,
      `command ${c}: ${JSON.stringify(r.checks.find((x) => x.name === `command ${c}`))}`,
    );
  assert.deepEqual(r.orphans, [{ pid: 4242, prefix: 'kw-tzz-', args: 'sleep infinity' }]);
  assert.equal(r.checks.find((x) => x.name === 'no orphaned lab processes')?.ok, false);
});
