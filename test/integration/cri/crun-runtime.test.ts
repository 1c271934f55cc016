// The runtime layer on real containers (crun in a node container, busybox fixture image): PID and
// mount namespaces, hostname and /etc files, exit codes, OOMKilled, TERM-then-KILL, shared PID
// namespace, securityContext, CRI logs, and removal leaving no cgroup, mount or process.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CriFixture } from './cri-fixture.js';

const MiB = 1024 * 1024;

describe('crun runtime service', () => {
  const fx = new CriFixture();
  let sandbox = '';

  before(async () => {
    await fx.start();
    sandbox = await fx.runtime.runPodSandbox(fx.sandboxConfig('bb', await fx.podNetns('default_bb')));
  });
  after(() => fx.cleanup());

  const run = async (name: string, command: string[], extra: Record<string, unknown> = {}, sb = sandbox) => {
    const id = await fx.runtime.createContainer(sb, {
      name,
      image: fx.image,
      command,
      env: [{ name: 'GREETING', value: 'hi' }],
      mounts: [],
      logPath: `${name}/0.log`,
      ...extra,
    });
    await fx.runtime.startContainer(id);
    return id;
  };
  const waitExited = async (id: string) => {
    for (let i = 0; i < 400; i++) {
      const s = await fx.runtime.containerStatus(id);
      if (s?.state === 'CONTAINER_EXITED') return s;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`container ${id} did not exit`);
  };

  it("runs the image: PID 1 is the command, no host process, the image's files, the pod's hostname and /etc", async () => {
    const id = await run('sleeper', ['sleep', '86400']);
    const ps = await fx.runtime.execSync(id, ['ps', '-o', 'pid,comm']);
    assert.equal(ps.exitCode, 0, ps.stderr);
    const rows = ps.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows[0], ['1', 'sleep']);
    assert.ok(
      rows.every(([, comm]) => ['sleep', 'ps'].includes(comm!)),
      ps.stdout,
    );
    assert.match((await fx.runtime.execSync(id, ['cat', '/etc/os-release'])).stdout, /kubewire test busybox/);
    assert.equal((await fx.runtime.execSync(id, ['hostname'])).stdout.trim(), 'bb');
    assert.match((await fx.runtime.execSync(id, ['cat', '/etc/resolv.conf'])).stdout, /nameserver 192\.168\.192\.10/);
    assert.match((await fx.runtime.execSync(id, ['env'])).stdout, /^GREETING=hi$/m);
    const st = await fx.runtime.containerStatus(id);
    assert.equal(st?.state, 'CONTAINER_RUNNING');
    // The container's network namespace is the sandbox's (the one CNI wired).
    const sb = await fx.runtime.podSandboxStatus(sandbox);
    assert.equal(readlinkNs(st!.hostPid!, 'net'), readlinkNs(sb!.hostPid!, 'net'));
    assert.notEqual(readlinkNs(st!.hostPid!, 'pid'), readlinkNs(sb!.hostPid!, 'pid'));
  });

  it('reports the real exit code and writes CRI log lines with timestamps', async () => {
    const id = await run('failer', ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    const st = await waitExited(id);
    assert.equal(st.exitCode, 3);
    assert.equal(st.reason, 'Error');
    for (let i = 0; i < 100 && !/stderr F err/.test(readFileSync(st.logPath, 'utf8')); i++)
      await new Promise((r) => setTimeout(r, 20));
    const log = readFileSync(st.logPath, 'utf8');
    assert.match(log, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F out$/m);
    assert.match(log, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stderr F err$/m);
    await fx.runtime.removeContainer(id);
    assert.equal(await fx.runtime.containerStatus(id), undefined);
  });

  it('ends a container over its memory limit OOMKilled', async () => {
    const id = await run('hog', ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=200M', 'count=1'], {
      resources: { memoryLimitBytes: 64 * MiB },
    });
    const st = await waitExited(id);
    assert.equal(st.reason, 'OOMKilled');
    assert.equal(st.exitCode, 137);
  });

  it('stops with TERM, then KILL after the grace period', async () => {
    const id = await run('stubborn', ['sh', '-c', 'trap "" TERM; while true; do sleep 1; done']);
    const t0 = Date.now();
    await fx.runtime.stopContainer(id, 1);
    const st = await fx.runtime.containerStatus(id);
    assert.equal(st?.state, 'CONTAINER_EXITED');
    assert.equal(st?.exitCode, 137);
    assert.ok(Date.now() - t0 >= 900, 'KILL came before the grace period ended');
    const polite = await run('polite', [
      'sh',
      '-c',
      'trap "exit 0" TERM; echo trapped; while true; do sleep 0.1; done',
    ]);
    const log = (await fx.runtime.containerStatus(polite))!.logPath;
    // TERM only counts once the shell has its trap (as PID 1 it ignores TERM until then).
    for (let i = 0; i < 200 && !/stdout F trapped/.test(readFileSync(log, 'utf8')); i++)
      await new Promise((r) => setTimeout(r, 25));
    await fx.runtime.stopContainer(polite, 10);
    assert.equal((await fx.runtime.containerStatus(polite))?.exitCode, 0);
  });

  it('honours securityContext: runAsUser/Group and readOnlyRootFilesystem', async () => {
    const id = await run('locked', ['sleep', '3600'], {
      securityContext: { runAsUser: 65534, runAsGroup: 65534, readOnlyRootFilesystem: true },
    });
    assert.equal((await fx.runtime.execSync(id, ['id', '-u'])).stdout.trim(), '65534');
    const touch = await fx.runtime.execSync(id, ['touch', '/x']);
    assert.notEqual(touch.exitCode, 0);
    assert.match(touch.stderr, /Read-only file system/);
  });

  it('shares one PID namespace between containers with shareProcessNamespace', async () => {
    const sb = await fx.runtime.runPodSandbox(
      fx.sandboxConfig('shared', await fx.podNetns('default_shared'), { shareProcessNamespace: true }),
    );
    await run('a', ['sleep', '7777'], {}, sb);
    const b = await run('b', ['sleep', '3600'], {}, sb);
    const ps = await fx.runtime.execSync(b, ['ps', '-o', 'pid,args']);
    assert.match(ps.stdout, /^\s*1\s+\/pause$/m);
    assert.match(ps.stdout, /sleep 7777/);
    await fx.runtime.removePodSandbox(sb);
    assert.equal(await fx.runtime.podSandboxStatus(sb), undefined);
  });

  it('removes a sandbox with its containers, cgroups and root filesystem mounts', async () => {
    const sb = await fx.runtime.runPodSandbox(fx.sandboxConfig('gone', await fx.podNetns('default_gone')));
    const id = await run('c', ['sleep', '3600'], {}, sb);
    const st = await fx.runtime.containerStatus(id);
    const cg = fx.runtime.store.sandboxes.get(sb)!.cgroupParent;
    assert.ok(existsSync(`/sys/fs/cgroup/memory${cg}`) || existsSync(`/sys/fs/cgroup${cg}`));
    await fx.runtime.removePodSandbox(sb);
    assert.ok(!existsSync(`/sys/fs/cgroup/memory${cg}`) && !existsSync(`/sys/fs/cgroup${cg}`));
    assert.ok(
      !existsSync(`/proc/${st!.hostPid}`) ||
        readFileSync(`/proc/${st!.hostPid}/cmdline`, 'utf8') !== 'sleep\x003600\x00',
    );
    const mounts = readFileSync(`/proc/${fx.node.pid}/mountinfo`, 'utf8');
    assert.doesNotMatch(mounts, new RegExp(id));
  });
});

function readlinkNs(pid: number, ns: string): string {
  return readlinkSync(`/proc/${pid}/ns/${ns}`);
}
