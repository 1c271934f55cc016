// Layer unpacking on real files: whiteouts become overlayfs whiteouts, device nodes are dropped,
// and archives that try to write outside their folder are rejected without touching anything.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, test } from 'node:test';
import { unpackLayer, sniffCompression } from '../../../runtime/images/layer-unpacker.js';
import { tarArchive, type TarMember } from '../../helpers/tar-writer.js';

const work = mkdtempSync(join(tmpdir(), 'kw-unpack-'));
after(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
function blob(members: TarMember[], gzip = false): string {
  const p = join(work, `layer-${n++}.tar${gzip ? '.gz' : ''}`);
  const t = tarArchive(members);
  writeFileSync(p, gzip ? gzipSync(t) : t);
  return p;
}

test('files, dirs and links land with their modes; gzip is sniffed', async () => {
  const b = blob(
    [
      { name: 'etc/', type: 'dir' },
      { name: 'etc/motd', data: 'hello\n', mode: 0o600 },
      { name: 'bin/', type: 'dir' },
      { name: 'bin/sh', data: '#!', mode: 0o755 },
      { name: 'bin/ash', type: 'symlink', linkname: '/bin/sh' },
      { name: 'bin/dash', type: 'hardlink', linkname: 'bin/sh' },
    ],
    true,
  );
  assert.equal(await sniffCompression(b), 'gzip');
  const dest = join(work, 'plain');
  await unpackLayer(b, dest);
  assert.equal(readFileSync(join(dest, 'etc/motd'), 'utf8'), 'hello\n');
  assert.equal(lstatSync(join(dest, 'etc/motd')).mode & 0o777, 0o600);
  assert.equal(readlinkSync(join(dest, 'bin/ash')), '/bin/sh', 'an absolute link stays as it is inside the rootfs');
  assert.equal(lstatSync(join(dest, 'bin/dash')).ino, lstatSync(join(dest, 'bin/sh')).ino);
});

test('whiteouts and opaque dirs become overlayfs whiteouts; device nodes are dropped', async () => {
  const b = blob([
    { name: 'etc/', type: 'dir' },
    { name: 'etc/.wh.motd' },
    { name: 'var/', type: 'dir' },
    { name: 'var/cache/', type: 'dir' },
    { name: 'var/cache/.wh..wh..opq' },
    { name: 'var/cache/new', data: 'x' },
    { name: 'dev/', type: 'dir' },
    { name: 'dev/sda', type: 'block', major: 8, minor: 0 },
    { name: 'dev/null', type: 'char', major: 1, minor: 3 },
    { name: 'gone', type: 'char', major: 0, minor: 0 },
  ]);
  const dest = join(work, 'wh');
  const counts = await unpackLayer(b, dest);
  assert.deepEqual(counts, { whiteouts: 1, opaque: 1, droppedDevices: 2 });
  const wh = lstatSync(join(dest, 'etc/motd'));
  assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'etc/motd is a 0:0 whiteout');
  assert.ok(!existsSync(join(dest, 'etc/.wh.motd')));
  assert.ok(!existsSync(join(dest, 'var/cache/.wh..wh..opq')));
  assert.equal(
    execFileSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', join(dest, 'var/cache')], {
      encoding: 'utf8',
    }),
    'y',
  );
  assert.ok(existsSync(join(dest, 'var/cache/new')));
  assert.ok(!existsSync(join(dest, 'dev/sda')) && !existsSync(join(dest, 'dev/null')));
  assert.ok(
    lstatSync(join(dest, 'gone')).isCharacterDevice(),
    'a 0:0 char device is already an overlay whiteout: kept',
  );
});

test('a member with .. is refused and nothing is written outside', async () => {
  const dest = join(work, 'dots');
  await assert.rejects(
    unpackLayer(
      blob([
        { name: '../escaped', data: 'bad' },
        { name: 'a/../../escaped2', data: 'bad' },
      ]),
      dest,
    ),
    /rejected by tar/,
  );
  assert.ok(!existsSync(join(work, 'escaped')) && !existsSync(join(work, 'escaped2')));
  assert.ok(!existsSync(dest), 'a refused layer leaves no folder');
});

test('writing through a symlink that points out of the layer is refused', async () => {
  const outside = join(work, 'outside');
  const dest = join(work, 'through-link');
  await assert.rejects(
    unpackLayer(
      blob([
        { name: 'lnk', type: 'symlink', linkname: outside },
        { name: 'lnk/pwned', data: 'bad' },
        { name: 'up', type: 'symlink', linkname: '../..' },
        { name: 'up/pwned2', data: 'bad' },
      ]),
      dest,
    ),
    /rejected by tar/,
  );
  assert.ok(!existsSync(join(outside, 'pwned')) && !existsSync(join(work, 'pwned2')) && !existsSync('/pwned2'));
});

test('a hard link to a file outside is refused', async () => {
  const secret = join(work, 'secret');
  writeFileSync(secret, 's');
  const dest = join(work, 'hard');
  await assert.rejects(
    unpackLayer(
      blob([
        { name: 'h', type: 'hardlink', linkname: secret },
        { name: 'h2', type: 'hardlink', linkname: '../secret' },
      ]),
      dest,
    ),
    /rejected by tar/,
  );
  assert.equal(lstatSync(secret).nlink, 1);
});
