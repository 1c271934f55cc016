// `kubewire image import`: an OCI image layout folder (as skopeo/buildah write it) or a
// docker-archive tar (`docker save`) into the store. Every blob is copied with its digest checked;
// a docker-archive's layers (plain tars named by path) become OCI layer blobs by their sha256.
import { copyFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { execa } from 'execa';
import { KubewireError } from '../../common/errors.js';
import { isDigest, normaliseImageRef } from './image-ref.js';
import { INDEX_TYPES, MT, REF_NAME, type Descriptor, type ImageIndex, type ImageManifest } from './oci-types.js';
import type { OciStore } from './oci-store.js';

export class ImageImportError extends KubewireError {}

/** Picks linux/amd64 out of an index (or the only manifest). */
export function pickPlatform(index: ImageIndex): Descriptor | undefined {
  const manifests = index.manifests;
  const amd = manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64');
  if (amd) return amd;
  const untyped = manifests.filter((m) => !m.platform);
  return untyped.length === 1 ? untyped[0] : manifests.length === 1 ? manifests[0] : undefined;
}

async function copyBlob(store: OciStore, from: string, digest: string): Promise<void> {
  if (await store.hasBlob(digest)) return;
  const tmp = store.tempPath('import');
  await copyFile(from, tmp);
  await store.commitBlobFile(tmp, digest);
}

/** Imports every image of an OCI layout; returns the references tagged. */
export async function importOciLayout(store: OciStore, dir: string, tagAs?: string): Promise<string[]> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as ImageIndex;
  const blob = (d: string) => {
    if (!isDigest(d)) throw new ImageImportError(`${dir}: bad digest ${d}`);
    return join(dir, 'blobs', 'sha256', d.slice(7));
  };
  const tagged: string[] = [];
  for (const top of index.manifests) {
    let desc: Descriptor | undefined = top;
    if (INDEX_TYPES.includes(top.mediaType)) {
      const inner = JSON.parse(await readFile(blob(top.digest), 'utf8')) as ImageIndex;
      desc = pickPlatform(inner);
      if (!desc) throw new ImageImportError(`${dir}: no linux/amd64 image in index ${top.digest}`);
    }
    const manifest = JSON.parse(await readFile(blob(desc.digest), 'utf8')) as ImageManifest;
    for (const d of [manifest.config, ...manifest.layers]) await copyBlob(store, blob(d.digest), d.digest);
    await copyBlob(store, blob(desc.digest), desc.digest);
    const name = top.annotations?.[REF_NAME] ?? top.annotations?.['io.containerd.image.name'];
    const ref = tagAs ?? (name && /[/:]/.test(name) ? name : undefined);
    if (!ref)
      throw new ImageImportError(
        `${dir}: manifest ${desc.digest} has no full reference name ("${name ?? ''}"); give one with --tag`,
      );
    const norm = normaliseImageRef(ref);
    await store.tag(norm, {
      mediaType: desc.mediaType ?? manifest.mediaType ?? MT.ociManifest,
      digest: desc.digest,
      size: desc.size,
    });
    tagged.push(norm);
  }
  return tagged;
}

interface DockerArchiveEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/** Imports a `docker save` tar (also the OCI-in-docker-archive form Docker 25 writes). */
export async function importDockerArchive(store: OciStore, tarPath: string, tagAs?: string): Promise<string[]> {
  const work = store.tempPath('docker-archive');
  await mkdir(work, { mode: 0o700 });
  try {
    // GNU tar: refuses "..", never writes through links (see layer-unpacker.ts).
    const r = await execa('tar', ['-x', '-f', tarPath, '-C', work, '--no-same-owner', '--no-same-permissions'], {
      reject: false,
      stdin: 'ignore',
    });
    if (r.exitCode !== 0) throw new ImageImportError(`${tarPath}: not a readable tar: ${r.stderr.trim()}`);
    const within = (p: string) => {
      const full = resolvePath(work, p);
      if (!full.startsWith(work + '/')) throw new ImageImportError(`${tarPath}: path ${p} leaves the archive`);
      return full;
    };
    const entries = JSON.parse(await readFile(within('manifest.json'), 'utf8')) as DockerArchiveEntry[];
    const tagged: string[] = [];
    for (const e of entries) {
      const cfgTmp = store.tempPath('cfg');
      await copyFile(within(e.Config), cfgTmp);
      const cfg = await store.commitBlobFile(cfgTmp);
      const layers: Descriptor[] = [];
      for (const l of e.Layers) {
        const tmp = store.tempPath('layer');
        await copyFile(within(l), tmp);
        const got = await store.commitBlobFile(tmp);
        const head = (await readFile(store.blobPath(got.digest))).subarray(0, 2);
        layers.push({
          mediaType: head[0] === 0x1f && head[1] === 0x8b ? MT.ociLayerGzip : MT.ociLayer,
          digest: got.digest,
          size: got.size,
        });
      }
      const manifest: ImageManifest = {
        schemaVersion: 2,
        mediaType: MT.ociManifest,
        config: { mediaType: MT.ociConfig, digest: cfg.digest, size: cfg.size },
        layers,
      };
      const m = await store.putJson(manifest);
      const refs = tagAs ? [tagAs] : (e.RepoTags ?? []);
      if (!refs.length)
        throw new ImageImportError(`${tarPath}: image ${cfg.digest} has no RepoTags; give one with --tag`);
      for (const ref of refs) {
        const norm = normaliseImageRef(ref);
        await store.tag(norm, { mediaType: MT.ociManifest, digest: m.digest, size: m.size });
        tagged.push(norm);
      }
    }
    return tagged;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export async function importImage(store: OciStore, path: string, tagAs?: string): Promise<string[]> {
  const s = await stat(path).catch((err: unknown) => {
    throw new ImageImportError(`cannot read ${path}`, { cause: err });
  });
  return s.isDirectory() ? importOciLayout(store, path, tagAs) : importDockerArchive(store, path, tagAs);
}
