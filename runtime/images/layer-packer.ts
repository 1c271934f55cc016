// Packs a folder into a layer blob the way the built-in images need it: a reproducible tar (names
// sorted, numeric owners, no atime/ctime) compressed with gzip, hashing the tar (diff id) and the
// gzip stream (the blob's digest) in the same pass.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { execa } from 'execa';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, constants } from 'node:zlib';
import { KubewireError } from '../../common/errors.js';

export class LayerPackError extends KubewireError {}

export interface PackedLayer {
  /** sha256 of the compressed blob. */
  digest: string;
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids entry). */
  diffId: string;
  size: number;
}

function hashing(h: ReturnType<typeof createHash>, count?: { n: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      if (count) count.n += chunk.length;
      cb(null, chunk);
    },
  });
}

/** Writes the layer for folder `dir` to file `out`. `mtime` (seconds) clamps file times for reproducibility. */
export async function packLayer(dir: string, out: string, opts: { mtime?: number } = {}): Promise<PackedLayer> {
  const entries = (await readdir(dir)).sort();
  const args = [
    '-c',
    '-f',
    '-',
    '-C',
    dir,
    '--sort=name',
    '--numeric-owner',
    '--format=posix',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '--xattrs',
    '--xattrs-include=security.capability',
    '--no-acls',
    ...(opts.mtime !== undefined ? [`--mtime=@${opts.mtime}`, '--clamp-mtime'] : []),
    '--',
    ...entries,
  ];
  const tar = execa('tar', args, {
    stdin: 'ignore',
    buffer: { stdout: false },
    reject: false,
    extendEnv: false,
    env: { LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  const diff = createHash('sha256');
  const blob = createHash('sha256');
  const size = { n: 0 };
  await pipeline(
    tar.stdout,
    hashing(diff),
    createGzip({ level: 1, memLevel: 9, strategy: constants.Z_DEFAULT_STRATEGY }),
    hashing(blob, size),
    new PassThrough(),
    createWriteStream(out, { mode: 0o600 }),
  );
  const r = await tar;
  if (r.exitCode !== 0)
    throw new LayerPackError(
      `tar of ${dir} failed (${r.exitCode === undefined ? String(r.shortMessage) : `exit ${r.exitCode}`}): ${r.stderr.trim()}`,
    );
  return { digest: `sha256:${blob.digest('hex')}`, diffId: `sha256:${diff.digest('hex')}`, size: size.n };
}
