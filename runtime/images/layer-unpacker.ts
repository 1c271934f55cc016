// Unpacks one layer blob into a fresh folder that overlayfs can use as a lowerdir. GNU tar does the
// extraction because it is safe by construction: it refuses members containing "..", strips a
// leading "/", and creates symlinks that point outside (absolute or with "..") only as
// placeholders until the end, so nothing is ever written through a link onto the host. Then one
// walk turns the OCI whiteouts into overlayfs ones (".wh.x" → char device 0:0 named x,
// ".wh..wh..opq" → trusted.overlay.opaque=y) and drops device nodes (a container gets its /dev
// from the runtime; a block device in an image is never needed and could reach host disks).
import { open, readdir, lstat, rm, unlink, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { KubewireError } from '../../common/errors.js';

export class LayerUnpackError extends KubewireError {}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** gzip, zstd or plain tar, from the first bytes (a media type may say tar while the blob is gzip). */
export async function sniffCompression(path: string): Promise<'gzip' | 'zstd' | 'none'> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, 0);
    if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
    if (b.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await fh.close();
  }
}

/** Extracts `blob` into `dest` (created, must not exist) and converts whiteouts. */
export async function unpackLayer(
  blob: string,
  dest: string,
): Promise<{ whiteouts: number; opaque: number; droppedDevices: number }> {
  await mkdir(dest, { mode: 0o755 });
  const comp = await sniffCompression(blob);
  const args = [
    '-x',
    '-f',
    blob,
    '-C',
    dest,
    '--numeric-owner',
    '--same-owner',
    '--preserve-permissions',
    '--delay-directory-restore',
    '--no-acls',
    '--xattrs',
    '--xattrs-include=security.capability',
    '--xattrs-include=user.*',
    ...(comp === 'gzip' ? ['--gzip'] : comp === 'zstd' ? ['--zstd'] : []),
  ];
  const r = await execa('tar', args, { reject: false, env: { LC_ALL: 'C' }, stdin: 'ignore' });
  if (r.exitCode !== 0) {
    await rm(dest, { recursive: true, force: true });
    throw new LayerUnpackError(
      `layer ${blob} rejected by tar (exit ${r.exitCode}): ${r.stderr.split('\n').slice(0, 6).join('; ')}`,
    );
  }
  return convertWhiteouts(dest);
}

/** The post-extraction walk; exported for built images, whose staging folder becomes the layer. */
export async function convertWhiteouts(
  root: string,
): Promise<{ whiteouts: number; opaque: number; droppedDevices: number }> {
  const counts = { whiteouts: 0, opaque: 0, droppedDevices: 0 };
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.name === OPAQUE) {
        await unlink(p);
        await run(['setfattr', '-n', 'trusted.overlay.opaque', '-v', 'y', '--', dir]);
        counts.opaque++;
      } else if (e.name.startsWith('.wh..wh.')) {
        await rm(p, { recursive: true, force: true }); // aufs bookkeeping (.wh..wh.plnk …), meaningless here
      } else if (e.name.startsWith(WHITEOUT)) {
        const target = join(dir, e.name.slice(WHITEOUT.length));
        await unlink(p);
        await rm(target, { recursive: true, force: true });
        await run(['mknod', '-m', '000', '--', target, 'c', '0', '0']);
        counts.whiteouts++;
      } else if (e.isBlockDevice()) {
        await unlink(p);
        counts.droppedDevices++;
      } else if (e.isCharacterDevice()) {
        if ((await lstat(p)).rdev !== 0) {
          await unlink(p);
          counts.droppedDevices++;
        }
      } else if (e.isDirectory()) {
        await walk(p);
      }
    }
  };
  await walk(root);
  return counts;
}

async function run(argv: string[]): Promise<void> {
  const r = await execa(argv[0]!, argv.slice(1), { reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new LayerUnpackError(`${argv.join(' ')} failed: ${r.stderr}`);
}
