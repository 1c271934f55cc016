// The machine's image store: an OCI image layout (oci-layout, index.json, blobs/sha256/…) whose
// index names each manifest by its normalised reference, plus each layer unpacked once under
// layers/sha256/<layer digest> for overlayfs. Every write lands in tmp/ and is renamed into place,
// so a crash leaves either the old or the new state; index.json changes under a lock file.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { KubewireError } from '../../common/errors.js';
import { isDigest } from './image-ref.js';
import { REF_NAME, type Descriptor, type ImageIndex } from './oci-types.js';
import { withStoreLock } from './store-lock.js';

export const DEFAULT_IMAGE_STORE = '/var/lib/kubewire/images';

/** The store's folder: $KUBEWIRE_IMAGE_DIR (tests), else /var/lib/kubewire/images. */
export function imageStoreDir(): string {
  return process.env.KUBEWIRE_IMAGE_DIR ?? DEFAULT_IMAGE_STORE;
}

export class DigestMismatchError extends KubewireError {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`content digest ${actual} does not match the expected ${expected}`);
  }
}

export async function sha256File(path: string): Promise<{ digest: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    h.update(chunk);
    size += chunk.length;
  }
  return { digest: `sha256:${h.digest('hex')}`, size };
}

export function sha256Bytes(b: Uint8Array): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

function hex(digest: string): string {
  if (!isDigest(digest)) throw new KubewireError(`not a sha256 digest: ${digest}`);
  return digest.slice('sha256:'.length);
}

export class OciStore {
  constructor(readonly root: string) {}

  private get indexPath() {
    return join(this.root, 'index.json');
  }

  /** Creates the layout (0700: the store holds pulled images of every lab) if it is not there. */
  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await chmod(this.root, 0o700);
    // Folders an older kubewire made 0755 are tightened too; a layer's own files keep the image's modes
    // (containers read them through overlayfs), the 0700 folders above them keep other users out.
    for (const d of ['blobs', 'blobs/sha256', 'layers', 'layers/sha256', 'tmp', 'locks']) {
      await mkdir(join(this.root, d), { recursive: true, mode: 0o700 });
      await chmod(join(this.root, d), 0o700);
    }
    const layout = join(this.root, 'oci-layout');
    if (!(await exists(layout)))
      await writeFile(layout, JSON.stringify({ imageLayoutVersion: '1.0.0' }), { mode: 0o600 });
    await chmod(layout, 0o600);
    if (!(await exists(this.indexPath)))
      await this.writeIndex({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] });
  }

  blobPath(digest: string): string {
    return join(this.root, 'blobs', 'sha256', hex(digest));
  }

  layerDir(digest: string): string {
    return join(this.root, 'layers', 'sha256', hex(digest));
  }

  lockPath(name: string): string {
    return join(this.root, 'locks', `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.lock`);
  }

  /** A fresh path under tmp/ (same filesystem as the blobs, so a rename is atomic). */
  tempPath(label: string): string {
    return join(
      this.root,
      'tmp',
      `${label.replace(/[^A-Za-z0-9_.-]/g, '_')}-${process.pid}-${randomBytes(4).toString('hex')}`,
    );
  }

  hasBlob(digest: string): Promise<boolean> {
    return exists(this.blobPath(digest));
  }

  async hasLayerDir(digest: string): Promise<boolean> {
    return exists(this.layerDir(digest));
  }

  /** Moves a finished temp file into blobs/ after checking its digest (and `expected`, if given). */
  async commitBlobFile(tmp: string, expected?: string): Promise<{ digest: string; size: number }> {
    const got = await sha256File(tmp);
    if (expected && got.digest !== expected) {
      await rm(tmp, { force: true });
      throw new DigestMismatchError(expected, got.digest);
    }
    await chmod(tmp, 0o600);
    await rename(tmp, this.blobPath(got.digest));
    return got;
  }

  async putBlob(bytes: Uint8Array, expected?: string): Promise<Descriptor['digest']> {
    const digest = sha256Bytes(bytes);
    if (expected && digest !== expected) throw new DigestMismatchError(expected, digest);
    if (await this.hasBlob(digest)) return digest;
    const tmp = this.tempPath('blob');
    await writeFile(tmp, bytes, { mode: 0o600 });
    await rename(tmp, this.blobPath(digest));
    return digest;
  }

  async putJson(value: unknown): Promise<{ digest: string; size: number; bytes: Buffer }> {
    const bytes = Buffer.from(JSON.stringify(value));
    return { digest: await this.putBlob(bytes), size: bytes.length, bytes };
  }

  readBlob(digest: string): Promise<Buffer> {
    return readFile(this.blobPath(digest));
  }

  async readJson<T>(digest: string): Promise<T> {
    return JSON.parse((await this.readBlob(digest)).toString('utf8')) as T;
  }

  /** Moves a finished unpacked layer into place; if another process won the race, keeps theirs. */
  async commitLayerDir(tmpDir: string, digest: string): Promise<void> {
    try {
      await rename(tmpDir, this.layerDir(digest));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      await rm(tmpDir, { recursive: true, force: true });
    }
  }

  async readIndex(): Promise<ImageIndex> {
    return JSON.parse(await readFile(this.indexPath, 'utf8')) as ImageIndex;
  }

  private async writeIndex(index: ImageIndex): Promise<void> {
    const tmp = this.tempPath('index');
    await writeFile(tmp, JSON.stringify(index, null, 1), { mode: 0o600 });
    await rename(tmp, this.indexPath);
  }

  /** Changes index.json under the store's lock: `fn` gets the current index and returns the new one. */
  async updateIndex(fn: (index: ImageIndex) => ImageIndex | Promise<ImageIndex>): Promise<void> {
    await withStoreLock(this.lockPath('index'), async () => this.writeIndex(await fn(await this.readIndex())));
  }

  /** Points `ref` (normalised) at the manifest `desc`, replacing what it named before. */
  async tag(ref: string, desc: Descriptor, annotations: Record<string, string> = {}): Promise<void> {
    await this.updateIndex((index) => ({
      ...index,
      manifests: [
        ...index.manifests.filter((m) => m.annotations?.[REF_NAME] !== ref),
        {
          mediaType: desc.mediaType,
          digest: desc.digest,
          size: desc.size,
          annotations: { ...annotations, [REF_NAME]: ref },
        },
      ],
    }));
  }

  async untag(ref: string): Promise<boolean> {
    let found = false;
    await this.updateIndex((index) => {
      const manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== ref);
      found = manifests.length !== index.manifests.length;
      return { ...index, manifests };
    });
    return found;
  }

  async listBlobs(): Promise<string[]> {
    return (await readdir(join(this.root, 'blobs', 'sha256')))
      .filter((h) => /^[a-f0-9]{64}$/.test(h))
      .map((h) => `sha256:${h}`);
  }

  async listLayerDirs(): Promise<string[]> {
    return (await readdir(join(this.root, 'layers', 'sha256')))
      .filter((h) => /^[a-f0-9]{64}$/.test(h))
      .map((h) => `sha256:${h}`);
  }

  /** Removes leftovers of writers that died (tmp entries whose pid is gone). */
  async cleanTemp(): Promise<void> {
    for (const name of await readdir(join(this.root, 'tmp'))) {
      const pid = Number(name.split('-').at(-2));
      if (pid && pid !== process.pid && (await exists(`/proc/${pid}`))) continue;
      if (pid === process.pid) continue;
      await rm(join(this.root, 'tmp', name), { recursive: true, force: true });
    }
  }
}

export async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
