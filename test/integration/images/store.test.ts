// The image store on real files: pause and busybox built offline into a fresh store, resolved
// with their configs, cached (a second ensure builds nothing), listed, removed, and garbage
// collected without touching a layer an overlay mount still uses.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ImagePullError } from '../../../runtime/images/image-service.js';
import { openImageService } from '../../../runtime/images/local-image-service.js';
import { overlayPathsInUse } from '../../../runtime/images/image-gc.js';

const dir = mkdtempSync(join(tmpdir(), 'kw-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const builds: string[] = [];
const svc = await openImageService({ dir: join(dir, 'images'), builtins: { onBuild: (n) => builds.push(n) } });

test('the store is an OCI layout readable only by root', () => {
  assert.equal(statSync(join(dir, 'images')).mode & 0o777, 0o700);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'images/oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
});

test('pause is built from the static pause binary with the upstream config', async () => {
  const phases: string[] = [];
  const img = await svc.ensure('registry.k8s.io/pause:3.10', {
    policy: 'IfNotPresent',
    onProgress: (p) => phases.push(p.phase),
  });
  assert.equal(img.ref, 'registry.k8s.io/pause:3.10');
  assert.deepEqual(img.config.entrypoint, ['/pause']);
  assert.equal(img.config.user, '65535:65535');
  assert.equal(img.layers.length, 1);
  assert.ok(
    phases.some((p) => p.startsWith('built pause')),
    phases.join('; '),
  );
  assert.equal(execFileSync(join(img.layers[0]!, 'pause'), ['-v'], { encoding: 'utf8' }).trim(), 'kubewire-pause 1');
  assert.match(img.digest, /^sha256:[a-f0-9]{64}$/);
});

test('busybox is built from Debian busybox-static and runs as a root filesystem', async () => {
  const [a, b] = await Promise.all([
    svc.ensure('busybox', { policy: 'IfNotPresent' }),
    svc.ensure('busybox:1.36', { policy: 'IfNotPresent' }),
  ]);
  assert.equal(builds.filter((n) => n === 'busybox').length, 1, 'two asks at once build it once');
  assert.equal(a.digest, b.digest);
  assert.equal(b.ref, 'docker.io/library/busybox:1.36');
  assert.deepEqual(a.config.cmd, ['sh']);
  assert.ok(a.config.env?.some((e) => e.startsWith('PATH=')));
  const root = a.layers[0]!;
  assert.equal(readlinkSync(join(root, 'bin/sh')), '/bin/busybox');
  const out = execFileSync('chroot', [root, '/bin/sh', '-c', 'cat /etc/os-release; ls /'], { encoding: 'utf8' });
  assert.match(out, /NAME="BusyBox"/);
  assert.match(out, /\btmp\b/);
});

test('a second ensure builds nothing', async () => {
  const before = builds.length;
  for (const ref of ['busybox', 'registry.k8s.io/pause:3.10']) await svc.ensure(ref, { policy: 'IfNotPresent' });
  assert.equal(builds.length, before);
});

test('resolve finds images by name, image id and manifest digest; never builds', async () => {
  const bb = (await svc.resolve('docker.io/library/busybox:latest'))!;
  assert.equal((await svc.resolve(bb.id))?.digest, bb.digest);
  assert.equal((await svc.resolve(bb.digest))?.id, bb.id);
  assert.equal(await svc.resolve('nginx:never-built'), undefined);
  assert.equal(await svc.resolve('Not A Ref'), undefined);
});

test('policy Never and unknown images fail with ImagePullError', async () => {
  await assert.rejects(
    svc.ensure('nginx:1.0', { policy: 'Never' }),
    (e: unknown) =>
      e instanceof ImagePullError &&
      e.reason === 'NeverPull' &&
      /not present with pull policy of Never/.test(e.message),
  );
  await assert.rejects(
    svc.ensure('example.org/nothing:1', { policy: 'IfNotPresent' }),
    (e: unknown) => e instanceof ImagePullError && e.reason === 'NotFound',
  );
  await assert.rejects(
    svc.ensure('UPPER', { policy: 'IfNotPresent' }),
    (e: unknown) => e instanceof ImagePullError && e.reason === 'Invalid',
  );
});

test('list groups every name of an image', async () => {
  const list = await svc.list();
  const bb = list.find((i) => i.refs.includes('docker.io/library/busybox:latest'))!;
  assert.deepEqual(bb.refs, ['docker.io/library/busybox:1.36', 'docker.io/library/busybox:latest']);
  assert.ok(bb.size > 500_000);
});

test('gc keeps a layer an overlay in another mount namespace uses; remove frees the rest', async () => {
  const bb = (await svc.resolve('busybox'))!;
  const layer = bb.layers[0]!;
  const m = join(dir, 'ov');
  for (const d of ['upper', 'work', 'merged']) mkdirSync(join(m, d), { recursive: true });
  const holder = spawn(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      'mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4" && echo up && exec sleep 60',
      'sh',
      layer,
      join(m, 'upper'),
      join(m, 'work'),
      join(m, 'merged'),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.once('data', () => resolve());
      holder.once('exit', (c) => reject(new Error(`overlay holder exited ${c}`)));
    });
    assert.ok((await overlayPathsInUse()).has(layer), 'the scan sees the overlay of the other namespace');
    await svc.remove('busybox:1.36');
    assert.ok(await svc.resolve('busybox'), 'the other tag still names it');
    await svc.remove('busybox');
    assert.equal(await svc.resolve('busybox'), undefined);
    assert.ok(existsSync(layer), 'the mounted layer stays');
    assert.ok(!existsSync(join(dir, 'images/blobs/sha256', bb.digest.slice(7))), 'the manifest blob went');
  } finally {
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('close', r));
  }
  const r = await svc.gc({ graceMs: 0 });
  assert.ok(
    r.removedLayers.some((d) => layer.endsWith(d.slice(7))),
    'unmounted, it is collected',
  );
  assert.ok(!existsSync(layer));
  assert.ok(await svc.resolve('registry.k8s.io/pause:3.10'), 'pause untouched');
});
