// `kubewire image` end to end on a temporary store: build, ls, import of a docker-archive tar and
// of an OCI layout (both written by skopeo from the store, as another tool would hand them over),
// rm, gc; and a usage error exits 2.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { execa } from 'execa';
import { projectRoot } from '../../../runtime/project-root.js';

const dir = mkdtempSync(join(tmpdir(), 'kw-image-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], store = join(dir, 'store')) {
  return execa(process.execPath, [join(projectRoot(), 'dist', 'cli', 'main.js'), 'image', ...args], {
    env: { KUBEWIRE_IMAGE_DIR: store },
    reject: false,
    timeout: 300_000,
  });
}

test('build shows progress, ls lists the built-in under its names', async () => {
  const b = await cli(['build', 'pause']);
  assert.equal(b.exitCode, 0, b.stderr);
  assert.match(b.stderr, /pause: built pause in/);
  assert.match(b.stdout, /^registry\.k8s\.io\/pause:3\.10 sha256:[a-f0-9]{64}/m);
  const ls = await cli(['ls']);
  assert.match(ls.stdout, /registry\.k8s\.io\/pause\s+3\.10\s+[a-f0-9]{12}\s+\d/);
  const json = JSON.parse((await cli(['ls', '--json'])).stdout) as { refs: string[] }[];
  assert.deepEqual(
    json.map((i) => i.refs),
    [['registry.k8s.io/pause:3.10']],
  );
});

test('import takes a docker-archive tar and an OCI layout folder', async () => {
  const store = join(dir, 'store');
  const tar = join(dir, 'pause.tar');
  await execa('skopeo', [
    'copy',
    '--quiet',
    `oci:${store}:registry.k8s.io/pause:3.10`,
    `docker-archive:${tar}:example.org/lab/pause:v1`,
  ]);
  const a = await cli(['import', tar], join(dir, 'other'));
  assert.equal(a.exitCode, 0, a.stderr);
  assert.match(a.stdout, /^example\.org\/lab\/pause:v1 sha256:/m);
  const layout = join(dir, 'layout');
  await execa('skopeo', ['copy', '--quiet', `oci:${store}:registry.k8s.io/pause:3.10`, `oci:${layout}:v2`]);
  const noName = await cli(['import', layout], join(dir, 'other'));
  assert.equal(noName.exitCode, 1);
  assert.match(noName.stderr, /give one with --tag/);
  const b = await cli(['import', layout, '--tag', 'example.org/lab/pause:v2'], join(dir, 'other'));
  assert.equal(b.exitCode, 0, b.stderr);
  const ls = (await cli(['ls'], join(dir, 'other'))).stdout;
  assert.match(ls, /example\.org\/lab\/pause\s+v1/);
  assert.match(ls, /example\.org\/lab\/pause\s+v2/);
});

test('rm removes a name; gc reports; bad usage exits 2', async () => {
  const rm = await cli(['rm', 'registry.k8s.io/pause:3.10']);
  assert.equal(rm.exitCode, 0, rm.stderr);
  assert.equal((await cli(['ls', '--json'])).stdout.trim(), '[]');
  assert.equal((await cli(['rm', 'registry.k8s.io/pause:3.10'])).exitCode, 1);
  assert.match((await cli(['gc'])).stdout, /removed \d+ blobs/);
  assert.equal((await cli(['frobnicate'])).exitCode, 2);
});
