// The ImageService a node's runtime uses: images in the machine's OCI store, pulled from registries
// (mirrors first) or, for the built-in names, built offline. Precedence for a missing image (or
// policy Always): 1. the registries (the lab's own mirror, then upstream), 2. the built-in of that
// name, 3. fail with the registries' own error text.
import { rm } from 'node:fs/promises';
import { describeError, ValidationError } from '../../common/errors.js';
import { BuiltinImages, type BuildProgress } from './builtin-images.js';
import { collectGarbage, type GcResult } from './image-gc.js';
import { toImageConfig } from './image-config.js';
import { isDigest, normaliseImageRef, parseImageRef } from './image-ref.js';
import {
  ImagePullError,
  type ImageService,
  type ImageSummary,
  type PullOptions,
  type ResolvedImage,
} from './image-service.js';
import { unpackLayer } from './layer-unpacker.js';
import { OciStore } from './oci-store.js';
import { REF_NAME, type Descriptor, type ImageManifest, type OciImageConfig } from './oci-types.js';
import { withStoreLock } from './store-lock.js';

/** Fetches an image from registries into the store and tags it under `ref`; see registry-puller.ts. */
export interface ImagePuller {
  pull(ref: string, opts: PullOptions): Promise<void>;
}

export class LocalImageService implements ImageService {
  constructor(
    readonly store: OciStore,
    readonly builtins: BuiltinImages,
    private readonly puller?: ImagePuller,
  ) {}

  async resolve(ref: string): Promise<ResolvedImage | undefined> {
    const found = await this.find(ref);
    if (!found) return undefined;
    return this.load(found.ref, found.desc);
  }

  async ensure(ref: string, opts: PullOptions): Promise<ResolvedImage> {
    let norm: string;
    try {
      norm = isDigest(ref) ? ref : normaliseImageRef(ref);
    } catch (err) {
      throw new ImagePullError(`invalid image reference "${ref}": ${describeError(err)}`, ref, 'Invalid', {
        cause: err,
      });
    }
    const present = await this.resolve(norm);
    if (opts.policy === 'Never') {
      if (present) return present;
      throw new ImagePullError(`Container image "${ref}" is not present with pull policy of Never`, norm, 'NeverPull');
    }
    if (present && opts.policy === 'IfNotPresent') return present;
    if (isDigest(ref))
      throw new ImagePullError(`image ${ref} is not in the store (an image id cannot be pulled)`, ref, 'NotFound');
    let pullError: unknown;
    if (this.puller) {
      try {
        await this.puller.pull(norm, opts);
        const pulled = await this.resolve(norm);
        if (pulled) return pulled;
      } catch (err) {
        pullError = err;
      }
    }
    // A built-in stands in only where no registry has the image (not found, or none reachable);
    // a registry that answered with bad content or refused credentials is reported as such.
    const noRegistryHasIt =
      !pullError ||
      (pullError instanceof ImagePullError && (pullError.reason === 'NotFound' || pullError.reason === 'Unreachable'));
    if (noRegistryHasIt && this.builtins.recipeFor(norm)) return this.ensureBuiltin(norm, opts.onProgress);
    if (pullError instanceof ImagePullError) throw pullError;
    if (pullError)
      throw new ImagePullError(`pulling ${norm} failed: ${describeError(pullError)}`, norm, 'Unreachable', {
        cause: pullError,
      });
    throw new ImagePullError(
      `image ${norm} not found: no registry is configured and it is not a built-in image (${this.builtins.names().join(', ')})`,
      norm,
      'NotFound',
    );
  }

  /** The built-in `ref` names, from the store when a current build is there, else built now. */
  async ensureBuiltin(ref: string, onProgress?: PullOptions['onProgress'], force = false): Promise<ResolvedImage> {
    const recipe = this.builtins.recipeFor(ref);
    if (!recipe) throw new ImagePullError(`${ref} is not a built-in image`, ref, 'NotFound');
    const canonical = this.builtins.canonicalRef(recipe);
    const current = async () => {
      const have = await this.resolve(canonical).catch(() => undefined);
      return have && this.builtins.isCurrent(recipe, have.config.labels) ? have : undefined;
    };
    let have = force ? undefined : await current();
    if (!have) {
      const progress: BuildProgress = (p) => onProgress?.({ ref: p.ref, phase: p.phase });
      await this.builtins.build(recipe, [ref], progress, async () => force || !(await current()));
      have = await current();
      if (!have) throw new ImagePullError(`built-in image ${recipe.name} is missing after its build`, ref, 'Invalid');
    }
    if (ref !== canonical) {
      const desc = (await this.find(canonical))!.desc;
      await this.store.tag(ref, desc);
    }
    return { ...have, ref };
  }

  /**
   * Every built-in (or those named) present and current, building the missing ones `concurrency`
   * at a time: the Debian builds mostly wait on the mirror and the disk, so they overlap well.
   */
  async ensureBuiltins(
    opts: { names?: string[]; concurrency?: number; force?: boolean; onProgress?: PullOptions['onProgress'] } = {},
  ): Promise<ResolvedImage[]> {
    const names = opts.names ?? this.builtins.names();
    const refs = names.map((n) => {
      const recipe = this.builtins.recipeNamed(n);
      if (!recipe)
        throw new ImagePullError(
          `no built-in image "${n}" (known: ${this.builtins.names().join(', ')})`,
          n,
          'NotFound',
        );
      return this.builtins.canonicalRef(recipe);
    });
    const out: ResolvedImage[] = new Array(refs.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < refs.length; i = next++)
        out[i] = await this.ensureBuiltin(refs[i]!, opts.onProgress, opts.force ?? false);
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 3) }, worker));
    return out;
  }

  async list(): Promise<ImageSummary[]> {
    const index = await this.store.readIndex();
    const byDigest = new Map<string, ImageSummary>();
    for (const m of index.manifests) {
      const ref = m.annotations?.[REF_NAME];
      let s = byDigest.get(m.digest);
      if (!s) {
        const manifest = await this.store.readJson<ImageManifest>(m.digest).catch(() => undefined);
        if (!manifest) continue;
        s = {
          refs: [],
          digest: m.digest,
          id: manifest.config.digest,
          size: manifest.layers.reduce((n, l) => n + l.size, 0),
        };
        byDigest.set(m.digest, s);
      }
      if (ref) s.refs.push(ref);
    }
    return [...byDigest.values()].map((s) => ({ ...s, refs: s.refs.sort() }));
  }

  /** Untags `ref` (an image id or digest untags every name of it), then frees what nothing reaches. */
  async remove(ref: string): Promise<void> {
    const found = await this.find(ref);
    if (!found) throw new ImagePullError(`no such image: ${ref}`, ref, 'NotFound');
    const manifest = await this.store.readJson<ImageManifest>(found.desc.digest);
    const own = new Set([found.desc.digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)]);
    if (isDigest(ref)) {
      await this.store.updateIndex((index) => ({
        ...index,
        manifests: index.manifests.filter((m) => m.digest !== found.desc.digest),
      }));
    } else {
      await this.store.untag(found.ref);
    }
    await collectGarbage(this.store, { only: own, graceMs: 0 });
  }

  /** Removes every blob and layer no image reaches (older than the grace period). */
  gc(opts: { graceMs?: number } = {}): Promise<GcResult> {
    return collectGarbage(this.store, opts);
  }

  /** An index entry by normalised reference, by repo@digest, or by manifest digest / image id. */
  private async find(ref: string): Promise<{ ref: string; desc: Descriptor } | undefined> {
    const index = await this.store.readIndex();
    const named = (m: Descriptor) => m.annotations?.[REF_NAME] ?? m.digest;
    if (isDigest(ref)) {
      const byManifest = index.manifests.find((m) => m.digest === ref);
      if (byManifest) return { ref: named(byManifest), desc: byManifest };
      for (const m of index.manifests) {
        const manifest = await this.store.readJson<ImageManifest>(m.digest).catch(() => undefined);
        if (manifest?.config.digest === ref) return { ref: named(m), desc: m };
      }
      return undefined;
    }
    let norm: string;
    try {
      norm = normaliseImageRef(ref);
    } catch (err) {
      if (err instanceof ValidationError) return undefined;
      throw err;
    }
    const exact = index.manifests.find((m) => m.annotations?.[REF_NAME] === norm);
    if (exact) return { ref: norm, desc: exact };
    const digest = parseImageRef(norm).digest;
    const pinned = digest && index.manifests.find((m) => m.digest === digest);
    return pinned ? { ref: norm, desc: pinned } : undefined;
  }

  private async load(ref: string, desc: Descriptor): Promise<ResolvedImage> {
    const manifest = await this.store.readJson<ImageManifest>(desc.digest);
    const config = await this.store.readJson<OciImageConfig>(manifest.config.digest);
    const layers: string[] = [];
    for (const l of manifest.layers) layers.push(await this.unpacked(l.digest));
    return {
      ref,
      digest: desc.digest,
      id: manifest.config.digest,
      layers,
      config: toImageConfig(config),
      size: manifest.layers.reduce((n, l) => n + l.size, 0),
    };
  }

  /** The layer's folder, unpacking the blob once (under a lock shared with other processes). */
  async unpacked(digest: string): Promise<string> {
    const dir = this.store.layerDir(digest);
    if (await this.store.hasLayerDir(digest)) return dir;
    await withStoreLock(
      this.store.lockPath(`layer-${digest}`),
      async () => {
        if (await this.store.hasLayerDir(digest)) return;
        const tmp = this.store.tempPath('unpack');
        try {
          await unpackLayer(this.store.blobPath(digest), tmp);
          await this.store.commitLayerDir(tmp, digest);
        } catch (err) {
          await rm(tmp, { recursive: true, force: true });
          throw err;
        }
      },
      10 * 60_000,
    );
    return dir;
  }
}

/** The store at `dir` (default: the machine's), initialised, with the built-ins and an optional puller. */
export async function openImageService(opts: {
  dir: string;
  puller?: (store: OciStore) => ImagePuller;
  builtins?: ConstructorParameters<typeof BuiltinImages>[1];
}): Promise<LocalImageService> {
  const store = new OciStore(opts.dir);
  await store.init();
  return new LocalImageService(store, new BuiltinImages(store, opts.builtins), opts.puller?.(store));
}
