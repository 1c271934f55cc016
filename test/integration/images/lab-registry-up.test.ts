// `kubewire up` starts the lab's registry and makes it the nodes' pull mirror: docker-registry on the
// loopback of the lab's <prefix>registry namespace (not the host's), the store's images pushed to
// it, registries.json naming it for docker.io before upstream; an image only that registry has
// (pushed by the test, no built-in of that name) runs as a pod, pulled by the kubelet through the
// mirror. Reset ends the registry and removes its namespace. Real processes, real pulls.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { labTopology, NODE5 } from '../../helpers/lab-topology.js';

const root = process.env.KUBEWIRE_ROOT ?? resolve('.');
const cli = join(root, 'dist', 'cli', 'main.js');
const prefix = `kw-t${randomBytes(3).toString('hex')}-`;
const stateBase = mkdtempSync(join(tmpdir(), 'kw-registry-up-'));
const env = { KUBEWIRE_PREFIX: prefix, KUBEWIRE_STATE_DIR: stateBase, KUBEWIRE_APISERVER_PORT: '0' };
const lab = 'regup';
const dir = join(stateBase, lab);
const socket = join(dir, 'registry', 'registry.sock');
const repo = `library/kwmirror-${randomBytes(3).toString('hex')}`;
const run = (args: string[]) => execa(process.execPath, [cli, ...args], { env, reject: false, timeout: 300_000 });

const TOPO = labTopology(lab, [NODE5]);

const curl = async (args: string[]) =>
  (await execa('curl', ['-s', '--unix-socket', socket, ...args], { reject: false })).stdout;

after(async () => {
  // The shared registry storage keeps nothing of the test: its tag's manifest is deleted.
  if (existsSync(socket)) {
    const head = await execa(
      'curl',
      [
        '-sI',
        '--unix-socket',
        socket,
        '-H',
        'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
        `http://127.0.0.1:5000/v2/${repo}/manifests/1`,
      ],
      { reject: false },
    );
    const digest = /docker-content-digest: (\S+)/i.exec(head.stdout)?.[1];
    if (digest) await curl(['-X', 'DELETE', `http://127.0.0.1:5000/v2/${repo}/manifests/${digest}`]);
  }
  await run(['image', 'rm', `docker.io/${repo}:1`]);
  await run(['reset', '--lab', lab]);
  rmSync(stateBase, { recursive: true, force: true });
  const left = (await execa('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(prefix));
  assert.deepEqual(left, [], 'reset left namespaces behind');
});

test(
  'up runs the lab registry in a lab namespace and the kubelet pulls through it as a mirror',
  { timeout: 600_000 },
  async () => {
    const topo = join(stateBase, 'regup.yaml');
    writeFileSync(topo, TOPO);
    const up = await run(['up', topo]);
    assert.equal(up.exitCode, 0, up.stderr);

    // docker-registry listens on 127.0.0.1:5000 of <prefix>registry, a namespace that is not the host's.
    const ss = await execa('ip', ['netns', 'exec', `${prefix}registry`, 'ss', '-ltnpH', 'sport = :5000']);
    assert.match(ss.stdout, /127\.0\.0\.1:5000 .*docker-registry/);
    const pid = /pid=(\d+)/.exec(ss.stdout)![1]!;
    assert.notEqual(readlinkSync(`/proc/${pid}/ns/net`), readlinkSync('/proc/self/ns/net'));
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as {
      processes: Record<string, { pid: number }>;
      namespaces: string[];
    };
    assert.equal(String(state.processes['registry']?.pid), pid, 'the registry is recorded for reset');
    assert.ok(state.namespaces.includes(`${prefix}registry`));

    // The nodes' pulls: docker.io mirrored by the lab registry first, the real registry after it.
    const cfg = JSON.parse(readFileSync(join(dir, 'registries.json'), 'utf8')) as {
      mirrors: Record<string, { url: string; socketPath: string }[]>;
      upstream: boolean;
    };
    assert.deepEqual(cfg.mirrors['docker.io'], [{ url: 'http://127.0.0.1:5000', socketPath: socket }]);
    assert.equal(cfg.upstream, true);

    // The store's built-ins reach the registry after the cluster starts.
    let catalog = '';
    for (let i = 0; i < 240 && !catalog.includes('library/kubia'); i++) {
      catalog = await curl(['http://127.0.0.1:5000/v2/_catalog']);
      if (!catalog.includes('library/kubia')) await new Promise((r) => setTimeout(r, 500));
    }
    assert.match(catalog, /library\/kubia/);

    // An image only the lab registry has: a pod of it runs, pulled by the kubelet through the mirror.
    const store = process.env.KUBEWIRE_IMAGE_DIR ?? '/var/lib/kubewire/images';
    const copy = await execa(
      'ip',
      [
        'netns',
        'exec',
        `${prefix}registry`,
        'skopeo',
        'copy',
        '--quiet',
        '--dest-tls-verify=false',
        `oci:${store}:docker.io/library/busybox:latest`,
        `docker://127.0.0.1:5000/${repo}:1`,
      ],
      { reject: false },
    );
    assert.equal(copy.exitCode, 0, copy.stderr);
    const kubeconfig = (await run(['kubeconfig', '--lab', lab])).stdout.trim();
    const kubectl = (args: string[]) =>
      execa('/usr/bin/kubectl', args, { env: { KUBECONFIG: kubeconfig }, reject: false, timeout: 60_000 });
    const image = repo.replace('library/', '');
    const r = await kubectl(['run', 'mirrored', `--image=${image}:1`, '--', 'sleep', '3600']);
    assert.equal(r.exitCode, 0, r.stderr);
    let phase = '';
    for (let i = 0; i < 240 && phase !== 'Running'; i++) {
      phase = (await kubectl(['get', 'pod', 'mirrored', '-o', 'jsonpath={.status.phase}'])).stdout;
      if (phase !== 'Running') await new Promise((res) => setTimeout(res, 500));
    }
    const events = (await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=mirrored'])).stdout;
    assert.equal(phase, 'Running', events);
    assert.match(events, new RegExp(`Successfully pulled image "${image}:1"`));

    // Reset ends the registry and its namespace.
    const reset = await run(['reset', '--lab', lab]);
    assert.equal(reset.exitCode, 0, reset.stderr);
    // The registry runs no more: at most a zombie, which init (its parent since proc-start.sh
    // exited) reaps on its own schedule (about once a second on this machine), then gone.
    const procState = (): string | undefined => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      } catch {
        return undefined;
      }
    };
    assert.match(procState() ?? 'gone', /^(gone|Z|X)$/, 'the registry process still runs after reset');
    for (let i = 0; i < 300 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(existsSync(`/proc/${pid}`), false, 'the registry process is gone (reaped)');
    const ns = (await execa('ip', ['netns', 'list'])).stdout;
    assert.doesNotMatch(ns, new RegExp(`^${prefix}registry\\b`, 'm'));
  },
);
