// `kubewire up` killed with SIGKILL at a recorded phase (its KUBEWIRE_PROGRESS=1 lines say which
// phase has started), then `kubewire reset`: nothing of the lab is left — namespaces and their
// marks, /etc/netns folders, links in the host's namespace, mounts, cgroups, processes (the
// cluster process `up` was starting included) and the lab's state. Each kill is checked to have
// come before `up` finished: a kill after the end would prove nothing.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadState } from '../../../runtime/lab/lab-state.js';
import { prefixPattern, scanLeftovers } from '../../support/leftovers.js';
import { killAtPhase, TestLab, TWO_NODES } from './harness.js';

/** Processes whose command line names this lab's state folder (the cluster process does). */
function processesOf(stateBase: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.includes(stateBase))) out.push(`${pid}: ${argv.join(' ').slice(0, 160)}`);
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

// Early (the namespaces made, nothing in them yet), in the middle (nodes' network and the cloud
// being wired), and after the runtime's part while the cluster process starts (the runtime's state
// already says up).
const KILLS = [
  ['namespaces', 'done'],
  ['nodes+cloud', 'start'],
  ['cluster', 'start'],
] as const;
for (const [phase, event] of KILLS) {
  test(`kill -9 of up when phase "${phase}" has ${event === 'start' ? 'started' : 'ended'}, then reset: nothing is left`, async () => {
    const lab = new TestLab(TWO_NODES);
    try {
      const file = join(lab.stateBase, 'two.yaml');
      writeFileSync(file, TWO_NODES);
      const { events, stdout } = await killAtPhase(lab.upCli(file), phase, event);
      // Killed in the middle: the phase was reported, `up` did not get to its end.
      assert.ok(events.includes(`${phase} ${event}`), events.join(', '));
      assert.ok(!events.includes('cluster done'), `up had finished: ${events.join(', ')}`);
      assert.doesNotMatch(stdout, /is up/);
      if (phase !== 'cluster') assert.equal((await loadState(lab.paths.state))?.phase, 'building');
      // Something was made, so the reset below has work to do.
      const pattern = prefixPattern(lab.prefix);
      assert.ok(
        scanLeftovers(pattern).some((l) => l.startsWith('namespace ')),
        'no namespace existed at the kill',
      );

      const r = await lab.cli(['reset', '--lab', 'two'], { timeoutMs: 300_000 });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.deepEqual(scanLeftovers(pattern), []);
      assert.deepEqual(processesOf(lab.stateBase), []);
      assert.equal(existsSync(lab.paths.dir), false, 'the lab state folder is gone');
    } finally {
      await lab.cleanup();
    }
  });
}
