// `up` is convergent: a second run changes nothing in the kernel; after a kill -9 in the middle of
// an `up`, the next `up` finishes the lab with no duplicate process; `down` then `up` restores it.
// (Pods are the kubelets', not `up`'s: their convergence is tested with the cluster, agents/.)
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { loadState } from '../../../runtime/lab/lab-state.js';
import { killAtPhase, namespacesWithPrefix, TestLab, TWO_NODES } from './harness.js';

/** Everything kernel-side of the lab, in a form where any re-creation or change shows. */
async function fingerprint(lab: TestLab): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const state = await loadState(lab.paths.state);
  for (const ns of state!.namespaces.sort()) {
    const r = await lab.exec(ns, [
      'sh',
      '-c',
      // IPv4 only: IPv6 link-local addresses finish DAD on their own time, which is not a change.
      // Likewise operstate: a fresh bridge turns from UNKNOWN to UP whenever the kernel gets to it.
      'ip -j link show | sed "s/\\"operstate\\":\\"[A-Z]*\\"//g"; ip -4 -j addr show | sed "s/\\"operstate\\":\\"[A-Z]*\\"//g; s/\\"valid_life_time\\":[0-9]*//g; s/\\"preferred_life_time\\":[0-9]*//g"; ip -4 route show table all; ' +
        'ip neigh show nud permanent; bridge fdb show dev flannel.1 2>/dev/null; iptables-save 2>/dev/null | grep -v "^#" | sed "s/\\[[0-9]*:[0-9]*\\]//"',
    ]);
    out[ns] = r.stdout;
  }
  out.internet = String(state!.processes.internet?.pid);
  return out;
}

async function countProcesses(ns: string): Promise<number> {
  const r = await execa('ip', ['netns', 'pids', ns], { reject: false });
  return r.stdout.split('\n').filter(Boolean).length;
}

describe('convergence', () => {
  let lab: TestLab;
  let file: string;
  before(() => {
    lab = new TestLab(TWO_NODES);
    file = join(lab.stateBase, 'two.yaml');
    writeFileSync(file, TWO_NODES);
  });
  after(async () => {
    await lab.cleanup();
  });

  test('kill -9 in the middle of up, then up again: the lab is complete, nothing runs twice', async () => {
    // Killed when the nodes' wiring has begun (its phase reported), and checked to be unfinished.
    const { events } = await killAtPhase(lab.upChild(file), 'nodes+cloud');
    assert.ok(!events.includes('prune start'), `up had finished: ${events.join(', ')}`);
    assert.equal((await loadState(lab.paths.state))?.phase, 'building');
    const r = await lab.upChild(file);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(await countProcesses(lab.names.internet), 1);
    for (const n of ['node1', 'node5', 'underlay', 'gateway', 'internet'])
      assert.ok(
        namespacesWithPrefix(lab.prefix).includes(n.startsWith('node') ? lab.names.node(n) : `${lab.prefix}${n}`),
        n,
      );
    const ping = await lab.exec(lab.names.node('node5'), ['ping', '-c', '1', '-W', '2', '10.231.209.113']);
    assert.equal(ping.exitCode, 0, ping.stdout);
  });

  test('up a second time changes nothing', async () => {
    const before1 = await fingerprint(lab);
    const r = await lab.runtime.up(lab.topo);
    assert.deepEqual(await fingerprint(lab), before1);
    // Found converged from the kernel's state (rtnetlink, iptables-save), not by running helpers.
    for (const s of ['netns-up.sh', 'attach.sh', 'vxlan.sh', 'vxlan-peers.sh', 'iptables-apply.sh'])
      assert.ok((r.converged[s] ?? 0) > 0, `${s} was run again: ${JSON.stringify(r.converged)}`);
  });

  test('up after real damage repairs exactly it: an FDB entry, ip_forward, a flushed chain', async () => {
    const before1 = await fingerprint(lab);
    const node1 = lab.names.node('node1');
    const fdb = await lab.exec(node1, ['bridge', 'fdb', 'show', 'dev', 'flannel.1']);
    const entry = fdb.stdout.split('\n').find((l) => l.includes(' dst '))!;
    const mac = entry.split(' ')[0]!;
    assert.equal((await lab.exec(node1, ['bridge', 'fdb', 'del', mac, 'dev', 'flannel.1'])).exitCode, 0);
    assert.equal((await lab.exec(node1, ['sysctl', '-qw', 'net.ipv4.ip_forward=0'])).exitCode, 0);
    assert.equal((await lab.exec(node1, ['iptables', '-t', 'nat', '-F', 'KW-FLANNEL-POSTRTG'])).exitCode, 0);
    // A file up writes, changed: written again (one that still holds its content is left alone).
    const resolv = `/etc/netns/${node1}/resolv.conf`;
    const resolvText = readFileSync(resolv, 'utf8');
    writeFileSync(resolv, 'nameserver 192.0.2.1\n');
    const r = await lab.runtime.up(lab.topo);
    assert.deepEqual(await fingerprint(lab), before1);
    assert.equal(readFileSync(resolv, 'utf8'), resolvText);
    assert.ok((r.converged.writeFile ?? 0) > 0, 'files holding their content were written again');
    const fwd = await lab.exec(node1, ['sysctl', '-n', 'net.ipv4.ip_forward']);
    assert.equal(fwd.stdout.trim(), '1');
    assert.ok((r.converged['attach.sh'] ?? 0) > 0, 'untouched links were still found converged');
  });

  test('down removes the namespaces and keeps state; up brings the same addresses back', async () => {
    await lab.runtime.down();
    assert.deepEqual(namespacesWithPrefix(lab.prefix), []);
    const kept = await loadState(lab.paths.state);
    assert.equal(kept?.phase, 'down');
    await lab.runtime.up(lab.topo);
    assert.equal((await loadState(lab.paths.state))!.phase, 'up');
    const ping = await lab.exec(lab.names.node('node5'), ['ping', '-c', '1', '-W', '2', '10.231.209.113']);
    assert.equal(ping.exitCode, 0, ping.stdout);
  });

  test('reset after a crash works from the prefix alone (state folder already gone)', async () => {
    const { rmSync } = await import('node:fs');
    rmSync(lab.paths.dir, { recursive: true, force: true });
    const r = await lab.cli(['reset', '--lab', 'two']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(namespacesWithPrefix(lab.prefix), []);
    const left = await execa('sh', ['-c', `ls /etc/netns | grep -c '^${lab.prefix}' || true`]);
    assert.equal(left.stdout.trim(), '0');
  });
});
