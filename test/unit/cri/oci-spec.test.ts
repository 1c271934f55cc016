import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { criRecords, criTimestamp } from '../../../runtime/cri/container-log.js';
import { containerArgv, containerEnv, DEFAULT_CAPS, ociSpec } from '../../../runtime/cri/oci-spec.js';

describe('OCI spec from a CRI config', () => {
  it('command replaces Entrypoint, args replace Cmd (Kubernetes rules)', () => {
    const img = { entrypoint: ['/docker-entrypoint.sh'], cmd: ['nginx', '-g', 'daemon off;'] };
    assert.deepEqual(containerArgv({}, img), ['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
    assert.deepEqual(containerArgv({ args: ['nginx', '-T'] }, img), ['/docker-entrypoint.sh', 'nginx', '-T']);
    assert.deepEqual(containerArgv({ command: ['sleep'], args: ['1d'] }, img), ['sleep', '1d']);
    assert.deepEqual(containerArgv({ command: ['sleep', '5'] }, img), ['sleep', '5']);
  });

  it('pod env overrides image env; PATH and HOSTNAME are set', () => {
    const env = containerEnv(['PATH=/opt/bin', 'A=1', 'B=2'], [{ name: 'B', value: 'pod' }], 'web-1');
    assert.deepEqual(env, ['PATH=/opt/bin', 'A=1', 'B=pod', 'HOSTNAME=web-1']);
  });

  it('maps securityContext capabilities and resources', () => {
    const base = { args: ['x'], env: [], cwd: '/', uid: 0, gid: 0, namespaces: [], cgroupsPath: '/a/b', mounts: [] };
    const s = ociSpec({
      ...base,
      security: { capabilities: { add: ['NET_ADMIN'], drop: ['KILL'] } },
      resources: { memoryLimitBytes: 64 << 20, cpuLimitMilli: 500, cpuRequestMilli: 250 },
    }) as any;
    assert.ok(s.process.capabilities.bounding.includes('CAP_NET_ADMIN'));
    assert.ok(!s.process.capabilities.bounding.includes('CAP_KILL'));
    assert.deepEqual(s.linux.resources.memory, { limit: 64 << 20, swap: 64 << 20 });
    assert.deepEqual(s.linux.resources.cpu, { quota: 50_000, period: 100_000, shares: 256 });
    const dropAll = ociSpec({ ...base, security: { capabilities: { drop: ['ALL'] } } }) as any;
    assert.deepEqual(dropAll.process.capabilities.bounding, []);
    const plain = ociSpec(base) as any;
    assert.deepEqual(plain.process.capabilities.bounding, DEFAULT_CAPS);
    const priv = ociSpec({ ...base, security: { privileged: true } }) as any;
    assert.ok(priv.process.capabilities.bounding.includes('CAP_SYS_ADMIN'));
    assert.equal(priv.linux.maskedPaths, undefined);
  });
});

describe('CRI log records', () => {
  it('timestamps with nanoseconds and splits lines into F and P records', () => {
    assert.equal(criTimestamp(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), '2026-01-02T03:04:05.678000000Z');
    const r = criRecords('stdout', 'hel', 'lo\nwor', 'T');
    assert.deepEqual(r.lines, ['T stdout F hello\n']);
    assert.equal(r.rest, 'wor');
    const long = criRecords('stderr', '', 'x'.repeat(16 * 1024 + 3) + '\n', 'T');
    assert.equal(long.lines.length, 2);
    assert.match(long.lines[0]!, /^T stderr P x+\n$/);
    assert.equal(long.lines[1], 'T stderr F xxx\n');
  });

  it("a terminal's \\r\\n ends a line as \\n does (a tty container's output), also across chunks", () => {
    assert.deepEqual(criRecords('stdout', '', '/dev/pts/0\r\nok\n', 'T').lines, [
      'T stdout F /dev/pts/0\n',
      'T stdout F ok\n',
    ]);
    const first = criRecords('stdout', '', 'a\r', 'T');
    assert.deepEqual(first.lines, []);
    assert.deepEqual(criRecords('stdout', first.rest, '\nb\rc\n', 'T').lines, ['T stdout F a\n', 'T stdout F b\rc\n']);
  });
});
