// Builds the built-in images into the store at first use and answers which built-in a reference
// names. A build holds a per-image lock, so two labs starting at once build it once; the other
// waits and finds it in the store.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { imagesDir, pauseBinary } from '../project-root.js';
import { formatImageRef, parseImageRef } from './image-ref.js';
import { writeImage, type WrittenImage } from './image-writer.js';
import type { OciStore } from './oci-store.js';
import { BuiltinBuildError, RECIPES, type BuiltinRecipe } from './builtin-recipes.js';
import { withStoreLock } from './store-lock.js';

export const BUILTIN_LABEL = 'io.kubewire.builtin';
export const RECIPE_LABEL = 'io.kubewire.recipe-version';

export type BuildProgress = (p: { ref: string; phase: string }) => void;

export interface BuiltinImagesOptions {
  pauseBinary?: string;
  kubiaScript?: string;
  recipes?: readonly BuiltinRecipe[];
  /** Called when a build really starts (tests count these to prove a cached start builds nothing). */
  onBuild?: (name: string) => void;
}

export class BuiltinImages {
  private readonly recipes: readonly BuiltinRecipe[];

  constructor(
    private readonly store: OciStore,
    private readonly opts: BuiltinImagesOptions = {},
  ) {
    this.recipes = opts.recipes ?? RECIPES;
  }

  names(): string[] {
    return this.recipes.map((r) => r.name);
  }

  /** The recipe a reference names: any tag of one of its repositories, or its bare name. */
  recipeFor(ref: string): BuiltinRecipe | undefined {
    const r = parseImageRef(ref);
    const repo = `${r.registry}/${r.repository}`;
    return this.recipes.find((x) => x.repositories.includes(repo));
  }

  recipeNamed(name: string): BuiltinRecipe | undefined {
    return this.recipes.find((r) => r.name === name);
  }

  /** The reference a built-in is always tagged as (docker.io/library/nginx:latest …). */
  canonicalRef(recipe: BuiltinRecipe): string {
    return formatImageRef({ ...parseImageRef(recipe.repositories[0]!), tag: recipe.tag ?? 'latest' });
  }

  /** True when a stored image's labels say it was built by the current version of its recipe. */
  isCurrent(recipe: BuiltinRecipe, labels: Record<string, string> | undefined): boolean {
    return labels?.[BUILTIN_LABEL] === recipe.name && labels?.[RECIPE_LABEL] === String(recipe.version);
  }

  /**
   * Builds `recipe` and tags it under its canonical reference plus `alsoRefs`. `stillNeeded` is
   * asked once the build lock is held: another process may have built it meanwhile.
   */
  async build(
    recipe: BuiltinRecipe,
    alsoRefs: string[],
    progress: BuildProgress,
    stillNeeded: () => Promise<boolean> = async () => true,
  ): Promise<WrittenImage | undefined> {
    const canonical = this.canonicalRef(recipe);
    return withStoreLock(
      this.store.lockPath(`build-${recipe.name}`),
      async () => {
        if (!(await stillNeeded())) return undefined;
        this.opts.onBuild?.(recipe.name);
        const t0 = Date.now();
        const workDir = this.store.tempPath(`build-${recipe.name}`);
        const rootfs = this.store.tempPath(`rootfs-${recipe.name}`);
        await mkdir(workDir, { recursive: true, mode: 0o700 });
        await mkdir(rootfs, { mode: 0o755 });
        const say = (phase: string) => progress({ ref: canonical, phase });
        try {
          say(`building built-in image ${recipe.name}`);
          await recipe.build(rootfs, {
            workDir,
            progress: say,
            pauseBinary: this.opts.pauseBinary ?? pauseBinary(),
            kubiaScript: this.opts.kubiaScript ?? join(imagesDir(), 'kubia.js'),
          });
          say('packing layer');
          const config = {
            ...recipe.config,
            labels: { ...recipe.config.labels, [BUILTIN_LABEL]: recipe.name, [RECIPE_LABEL]: String(recipe.version) },
          };
          const refs = [...new Set([canonical, ...alsoRefs])];
          const written = await writeImage(this.store, rootfs, config, refs, {
            createdBy: `kubewire built-in ${recipe.name} v${recipe.version}`,
          });
          say(
            `built ${recipe.name} in ${((Date.now() - t0) / 1000).toFixed(1)} s (${(written.size / 1e6).toFixed(1)} MB compressed)`,
          );
          return written;
        } catch (err) {
          throw new BuiltinBuildError(`building the built-in image ${recipe.name} failed`, { cause: err });
        } finally {
          await rm(workDir, { recursive: true, force: true });
          await rm(rootfs, { recursive: true, force: true });
        }
      },
      15 * 60_000,
    );
  }
}
