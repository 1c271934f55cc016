// Garbage collection of the image store: blobs and unpacked layers no tagged image reaches are
// removed, except a layer some overlay mount still uses as a lowerdir (seen from every mount
// namespace on the machine, node containers included) and anything younger than a grace period
// (a pull in another process writes blobs before it tags them).
import { readdir, readFile, readlink, rm, lstat } from 'node:fs/promises';
import type { OciStore } from './oci-store.js';
import type { ImageManifest } from './oci-types.js';

const GRACE_MS = 30 * 60_000;

/** Every overlayfs lowerdir/upperdir path mounted in any mount namespace of the machine. */
export async function overlayPathsInUse(procDir = '/proc'): Promise<Set<string>> {
  const seen = new Set<string>();
  const paths = new Set<string>();
  for (const pid of await readdir(procDir).catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const ns = await readlink(`${procDir}/${pid}/ns/mnt`).catch(() => undefined);
    if (!ns || seen.has(ns)) continue;
    seen.add(ns);
    const text = await readFile(`${procDir}/${pid}/mountinfo`, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const sep = line.indexOf(' - ');
      if (sep < 0) continue;
      const [fstype, , opts] = line.slice(sep + 3).split(' ');
      if (fstype !== 'overlay' || !opts) continue;
      for (const o of opts.split(',')) {
        const m = /^(lowerdir|upperdir|lowerdir\+|datadir\+)=(.*)$/.exec(o);
        if (m) for (const p of m[2]!.split(':')) paths.add(p.replace(/\\040/g, ' ').replace(/\\\\/g, '\\'));
      }
    }
  }
  return paths;
}

export interface GcResult {
  removedBlobs: string[];
  removedLayers: string[];
  keptInUse: string[];
}

export interface GcOptions {
  now?: number;
  /** Keep unreached blobs and layers younger than this (default 30 min). */
  graceMs?: number;
  /** Only consider these digests (removing one image); default: everything unreached. */
  only?: Set<string>;
  inUse?: Set<string>;
}

export async function collectGarbage(store: OciStore, opts: GcOptions = {}): Promise<GcResult> {
  const now = opts.now ?? Date.now();
  const grace = opts.graceMs ?? GRACE_MS;
  const index = await store.readIndex();
  const reachable = new Set<string>();
  for (const m of index.manifests) {
    reachable.add(m.digest);
    const manifest = await store.readJson<ImageManifest>(m.digest).catch(() => undefined);
    if (!manifest) continue;
    reachable.add(manifest.config.digest);
    for (const l of manifest.layers) reachable.add(l.digest);
  }
  const young = async (p: string) => grace > 0 && now - (await lstat(p)).ctimeMs < grace;
  const considered = (d: string) => !opts.only || opts.only.has(d);
  const result: GcResult = { removedBlobs: [], removedLayers: [], keptInUse: [] };
  for (const d of await store.listBlobs()) {
    if (!considered(d) || reachable.has(d) || (await young(store.blobPath(d)))) continue;
    await rm(store.blobPath(d), { force: true });
    result.removedBlobs.push(d);
  }
  const mounted = opts.inUse ?? (await overlayPathsInUse());
  for (const d of await store.listLayerDirs()) {
    const dir = store.layerDir(d);
    if (!considered(d) || reachable.has(d) || (await young(dir))) continue;
    if (mounted.has(dir)) {
      result.keptInUse.push(d);
      continue;
    }
    await rm(dir, { recursive: true, force: true });
    result.removedLayers.push(d);
  }
  await store.cleanTemp();
  return result;
}
