// Turns a prepared root filesystem folder into an image in the store: one layer blob packed from
// it, the config and manifest blobs, the folder itself kept as the unpacked layer (no second
// extraction), and the given references tagged.
import { rm } from 'node:fs/promises';
import type { ImageConfig } from './image-service.js';
import { fromImageConfig } from './image-config.js';
import { convertWhiteouts } from './layer-unpacker.js';
import { packLayer } from './layer-packer.js';
import { MT, type Descriptor, type ImageManifest } from './oci-types.js';
import type { OciStore } from './oci-store.js';

export interface WrittenImage {
  manifest: Descriptor;
  configDigest: string;
  layerDigest: string;
  size: number;
}

/** `rootfs` is consumed (moved into the store). `mtime` makes the layer reproducible. */
export async function writeImage(
  store: OciStore,
  rootfs: string,
  config: ImageConfig,
  refs: string[],
  opts: { createdBy: string; mtime?: number },
): Promise<WrittenImage> {
  await convertWhiteouts(rootfs); // drops device nodes, exactly as an unpack of the blob would
  const tmpBlob = store.tempPath('layer');
  let layer;
  try {
    layer = await packLayer(rootfs, tmpBlob, opts.mtime !== undefined ? { mtime: opts.mtime } : {});
    await store.commitBlobFile(tmpBlob, layer.digest);
  } finally {
    await rm(tmpBlob, { force: true });
  }
  if (await store.hasLayerDir(layer.digest)) await rm(rootfs, { recursive: true, force: true });
  else await store.commitLayerDir(rootfs, layer.digest);
  const created = new Date((opts.mtime ?? Math.floor(Date.now() / 1000)) * 1000).toISOString();
  const cfg = await store.putJson(fromImageConfig(config, [layer.diffId], created, opts.createdBy));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: MT.ociConfig, digest: cfg.digest, size: cfg.size },
    layers: [{ mediaType: MT.ociLayerGzip, digest: layer.digest, size: layer.size }],
  };
  const m = await store.putJson(manifest);
  const desc: Descriptor = { mediaType: MT.ociManifest, digest: m.digest, size: m.size };
  for (const ref of refs) await store.tag(ref, desc);
  return { manifest: desc, configDigest: cfg.digest, layerDigest: layer.digest, size: layer.size };
}
