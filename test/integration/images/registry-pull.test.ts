// Pulling like a node does, against a real docker-registry (distribution 2.8) started by the test
// inside its own network namespace: built-ins pushed with skopeo, pulled through the mirror into a
// second store (digests equal), an OCI index resolved to linux/amd64, and the failures a kubelet
// must report in the registry's own words: not found, unauthorized, digest mismatch.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { ImagePullError } from '../../../runtime/images/image-service.js';
import { LabRegistry } from '../../../runtime/images/lab-registry.js';
import { openImageService, type LocalImageService } from '../../../runtime/images/local-image-service.js';
import { RegistryPuller } from '../../../runtime/images/registry-puller.js';
import { MT } from '../../../runtime/images/oci-types.js';

const netns = `kw-t${randomBytes(3).toString('hex')}-registry`;
const dir = mkdtempSync(join(tmpdir(), 'kw-registry-'));
const srcDir = join(dir, 'src');
let src: LocalImageService;
const registry = new LabRegistry({ netns, address: '127.0.0.1', port: 5000, dir: join(dir, 'reg') });
const secured = new LabRegistry({
  netns,
  address: '127.0.0.1',
  port: 5001,
  dir: join(dir, 'reg-auth'),
  htpasswd: join(dir, 'htpasswd'),
});

/** A fresh store whose docker.io (and the registry's own host) goes to `reg` only: no Internet here. */
async function client(name: string, reg: LabRegistry, onBuild?: (n: string) => void): Promise<LocalImageService> {
  return openImageService({
    dir: join(dir, name),
    puller: (store) =>
      new RegistryPuller(store, {
        mirrors: { 'docker.io': [reg.endpoint()], [reg.host]: [reg.endpoint()] },
        upstream: false,
      }),
    ...(onBuild ? { builtins: { onBuild } } : {}),
  });
}

function curl(reg: LabRegistry, args: string[]): string {
  return execFileSync('curl', ['-sS', '--unix-socket', reg.socketPath, ...args], { encoding: 'utf8' });
}

before(async () => {
  await execa('ip', ['netns', 'add', netns]);
  await execa('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  const hash = execFileSync(
    '/usr/bin/python3',
    ['-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))', 's3cret'],
    { encoding: 'utf8' },
  ).trim();
  writeFileSync(join(dir, 'htpasswd'), `learner:${hash}\n`, { mode: 0o600 });
  await registry.start();
  await secured.start();
  src = await openImageService({ dir: srcDir });
  await src.ensure('busybox', { policy: 'IfNotPresent' });
  await src.ensure('registry.k8s.io/pause:3.10', { policy: 'IfNotPresent' });
});

after(async () => {
  await registry.stop().catch(() => {});
  await secured.stop().catch(() => {});
  await execa('ip', ['netns', 'del', netns], { reject: false });
  rmSync(dir, { recursive: true, force: true });
});

test('the registry runs inside the lab namespace, not on the host', async () => {
  const host = await execa('ss', ['-ltnH', 'sport = :5000'], { reject: false });
  assert.doesNotMatch(host.stdout, /127\.0\.0\.1:5000/, 'nothing listens on the host');
  const inside = await execa('ip', ['netns', 'exec', netns, 'ss', '-ltnH', 'sport = :5000']);
  assert.match(inside.stdout, /127\.0\.0\.1:5000/);
});

test('built-ins pushed with skopeo are pulled through the mirror with the same digests, building nothing', async () => {
  await registry.push(srcDir, ['docker.io/library/busybox:latest', 'registry.k8s.io/pause:3.10']);
  assert.match(curl(registry, [`http://${registry.host}/v2/_catalog`]), /library\/busybox/);
  const builds: string[] = [];
  const node = await client('node-a', registry, (n) => builds.push(n));
  const phases: string[] = [];
  const img = await node.ensure('busybox', { policy: 'IfNotPresent', onProgress: (p) => phases.push(p.phase) });
  const orig = (await src.resolve('busybox'))!;
  assert.equal(img.digest, orig.digest);
  assert.equal(img.id, orig.id);
  assert.deepEqual(img.config.cmd, ['sh']);
  assert.deepEqual(builds, [], 'pulled, not built');
  assert.ok(
    phases.some((p) => p.startsWith('downloading')),
    phases.join('; '),
  );
  assert.match(
    execFileSync('chroot', [img.layers[0]!, '/bin/sh', '-c', 'echo hi from $(busybox | head -1 | cut -c1-7)'], {
      encoding: 'utf8',
    }),
    /hi from BusyBox/,
  );
});

test('an OCI index resolves to its linux/amd64 manifest', async () => {
  const bb = (await src.resolve('busybox'))!;
  const pause = (await src.resolve('registry.k8s.io/pause:3.10'))!;
  const size = (d: string) => statSync(join(srcDir, 'blobs/sha256', d.slice(7))).size;
  await registry.push(srcDir, ['docker.io/library/busybox:latest']);
  await execa('ip', [
    'netns',
    'exec',
    netns,
    'skopeo',
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    `oci:${srcDir}:registry.k8s.io/pause:3.10`,
    `docker://${registry.host}/lab/multi:pause`,
  ]);
  await execa('ip', [
    'netns',
    'exec',
    netns,
    'skopeo',
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    `oci:${srcDir}:docker.io/library/busybox:latest`,
    `docker://${registry.host}/lab/multi:bb`,
  ]);
  const index = {
    schemaVersion: 2,
    mediaType: MT.ociIndex,
    manifests: [
      {
        mediaType: MT.ociManifest,
        digest: pause.digest,
        size: size(pause.digest),
        platform: { os: 'linux', architecture: 'arm64' },
      },
      {
        mediaType: MT.ociManifest,
        digest: bb.digest,
        size: size(bb.digest),
        platform: { os: 'linux', architecture: 'amd64' },
      },
    ],
  };
  const code = curl(registry, [
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '-X',
    'PUT',
    '-H',
    `content-type: ${MT.ociIndex}`,
    '--data-binary',
    JSON.stringify(index),
    `http://${registry.host}/v2/lab/multi/manifests/1`,
  ]);
  assert.equal(code, '201');
  const node = await client('node-b', registry);
  const img = await node.ensure(`${registry.host}/lab/multi:1`, { policy: 'Always' });
  assert.equal(img.digest, bb.digest, 'the amd64 entry, not the arm64 one');
});

test("a missing tag fails NotFound with the registry's words", async () => {
  const node = await client('node-c', registry);
  await assert.rejects(
    node.ensure(`${registry.host}/library/busybox:nope`, { policy: 'IfNotPresent' }),
    (e: unknown) => {
      assert.ok(e instanceof ImagePullError);
      assert.equal(e.reason, 'NotFound');
      assert.match(e.message, /MANIFEST_UNKNOWN: manifest unknown/);
      return true;
    },
  );
});

test("Basic auth: no or wrong credentials are Unauthorized in the registry's words; right ones pull", async () => {
  await secured.push(srcDir, ['registry.k8s.io/pause:3.10'], { username: 'learner', password: 's3cret' });
  const node = await client('node-d', secured);
  const ref = `${secured.host}/pause:3.10`;
  await assert.rejects(
    node.ensure(ref, { policy: 'Always' }),
    (e: unknown) => e instanceof ImagePullError && e.reason === 'Unauthorized' && /imagePullSecret/.test(e.message),
  );
  await assert.rejects(
    node.ensure(ref, { policy: 'Always', auth: { [secured.host]: { username: 'learner', password: 'wrong' } } }),
    (e: unknown) =>
      e instanceof ImagePullError &&
      e.reason === 'Unauthorized' &&
      /UNAUTHORIZED: authentication required/.test(e.message),
  );
  const img = await node.ensure(ref, {
    policy: 'Always',
    auth: { [secured.host]: { username: 'learner', password: 's3cret' } },
  });
  assert.deepEqual(img.config.entrypoint, ['/pause']);
});

test('a blob whose content does not match its digest is refused and not stored', async () => {
  const bb = (await src.resolve('busybox'))!;
  const layer = (await src.store.readJson<{ layers: { digest: string }[] }>(bb.digest)).layers[0]!.digest;
  const hex = layer.slice(7);
  const data = join(dir, 'reg', 'data', 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
  assert.ok(readdirSync(join(dir, 'reg', 'data')).length > 0);
  writeFileSync(data, Buffer.concat([Buffer.from('tampered'), Buffer.alloc(statSync(data).size - 8)]));
  const node = await client('node-e', registry);
  await assert.rejects(node.ensure('busybox', { policy: 'Always' }), (e: unknown) => {
    assert.ok(e instanceof ImagePullError, String(e));
    assert.equal(e.reason, 'Invalid');
    assert.match(e.message, /digest mismatch/);
    return true;
  });
  assert.equal(await node.store.hasBlob(layer), false);
});

test('mirror first, then the built-in: with the lab registry down, busybox is built, not failed', async () => {
  const builds: string[] = [];
  const down = new LabRegistry({ netns, address: '127.0.0.1', port: 5009, dir: join(dir, 'reg-down') });
  const node = await client('node-f', down, (n) => builds.push(n));
  const img = await node.ensure('busybox', { policy: 'IfNotPresent' });
  assert.deepEqual(builds, ['busybox']);
  assert.deepEqual(img.config.cmd, ['sh']);
  await assert.rejects(
    node.ensure(`${down.host}/none:1`, { policy: 'IfNotPresent' }),
    (e: unknown) =>
      e instanceof ImagePullError && e.reason === 'Unreachable' && /cannot reach the registry/.test(e.message),
  );
});
