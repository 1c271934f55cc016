// Pulls as a node does: for a reference on registry R, try R's mirrors first (the lab's own
// registry for docker.io), then R itself; a manifest list / OCI index resolves to linux/amd64;
// every blob is verified by digest before it enters the store; the manifest is stored byte for
// byte (so its digest is the registry's) and tagged under the reference.
import { rm } from 'node:fs/promises';
import { ImagePullError, type PullOptions, type RegistryAuth } from './image-service.js';
import { DOCKER_HUB, DOCKER_HUB_API, parseImageRef, type ImageRef } from './image-ref.js';
import { pickPlatform } from './image-import.js';
import type { ImagePuller } from './local-image-service.js';
import type { OciStore } from './oci-store.js';
import { INDEX_TYPES, type ImageIndex, type ImageManifest } from './oci-types.js';
import { RegistryClient, type RegistryEndpoint } from './registry-client.js';

export interface RegistryConfig {
  /** Registry host → endpoints tried before it (docker.io → the lab's registry). */
  mirrors?: Record<string, RegistryEndpoint[]>;
  /** Try the registry itself after its mirrors (default true). */
  upstream?: boolean;
  /** Hosts spoken to over plain HTTP (besides localhost). */
  insecure?: string[];
  timeoutMs?: number;
}

export function upstreamEndpoint(registry: string, insecure: string[] = []): RegistryEndpoint {
  if (registry === DOCKER_HUB) return { url: `https://${DOCKER_HUB_API}` };
  const host = registry.replace(/:\d+$/, '');
  const plain = insecure.includes(registry) || host === 'localhost' || host.startsWith('127.');
  return { url: `${plain ? 'http' : 'https'}://${registry}` };
}

/** Credentials for `host`, also under the aliases a docker config uses for Docker Hub. */
export function authFor(auth: Record<string, RegistryAuth> | undefined, host: string): RegistryAuth | undefined {
  if (!auth) return undefined;
  if (auth[host]) return auth[host];
  if (host === DOCKER_HUB)
    return auth['index.docker.io'] ?? auth[DOCKER_HUB_API] ?? auth['https://index.docker.io/v1/'];
  return undefined;
}

export class RegistryPuller implements ImagePuller {
  constructor(
    private readonly store: OciStore,
    private readonly config: RegistryConfig = {},
  ) {}

  endpoints(registry: string): RegistryEndpoint[] {
    const list = [...(this.config.mirrors?.[registry] ?? [])];
    if (this.config.upstream !== false) list.push(upstreamEndpoint(registry, this.config.insecure));
    return list;
  }

  async pull(ref: string, opts: PullOptions): Promise<void> {
    const r = parseImageRef(ref);
    const errors: ImagePullError[] = [];
    for (const ep of this.endpoints(r.registry)) {
      const host = new URL(ep.url).host;
      const auth =
        authFor(opts.auth, host) ??
        (ep.url === upstreamEndpoint(r.registry, this.config.insecure).url
          ? authFor(opts.auth, r.registry)
          : undefined);
      try {
        await this.pullFrom(new RegistryClient(ep, r.repository, ref, auth, this.config.timeoutMs), r, ref, opts);
        return;
      } catch (err) {
        if (!(err instanceof ImagePullError)) throw err;
        errors.push(err);
      }
    }
    if (!errors.length) throw new ImagePullError(`no registry to pull ${ref} from`, ref, 'Unreachable');
    // The most telling failure: one the registry answered (not found, unauthorized, bad content)
    // over "could not connect", so an unreachable upstream does not hide the mirror's answer.
    const best =
      errors.find((e) => e.reason !== 'Unreachable' && e.reason !== 'NotFound') ??
      errors.find((e) => e.reason === 'NotFound') ??
      errors[0]!;
    const message =
      errors.length === 1
        ? best.message
        : `${best.message} (also tried: ${errors
            .filter((e) => e !== best)
            .map((e) => e.message)
            .join('; ')})`;
    throw new ImagePullError(`failed to pull image "${ref}": ${message}`, ref, best.reason, { cause: best });
  }

  private async pullFrom(client: RegistryClient, r: ImageRef, ref: string, opts: PullOptions): Promise<void> {
    const progress = (phase: string, done?: number, total?: number) =>
      opts.onProgress?.({
        ref,
        phase,
        ...(done !== undefined ? { done } : {}),
        ...(total !== undefined ? { total } : {}),
      });
    progress(`resolving ${r.digest ?? r.tag} at ${client.endpoint.url}`);
    let m = await client.manifest(r.digest ?? r.tag!);
    if (INDEX_TYPES.includes(m.mediaType)) {
      await this.store.putBlob(m.bytes, m.digest);
      const chosen = pickPlatform(JSON.parse(m.bytes.toString('utf8')) as ImageIndex);
      if (!chosen) throw new ImagePullError(`${client.endpoint.url}: no linux/amd64 image in ${ref}`, ref, 'NotFound');
      m = await client.manifest(chosen.digest);
      if (INDEX_TYPES.includes(m.mediaType))
        throw new ImagePullError(`${client.endpoint.url}: nested index in ${ref}`, ref, 'Invalid');
    }
    const manifest = JSON.parse(m.bytes.toString('utf8')) as ImageManifest;
    const blobs = [manifest.config, ...manifest.layers];
    const total = blobs.reduce((n, b) => n + b.size, 0);
    let done = 0;
    for (const b of blobs) {
      if (await this.store.hasBlob(b.digest)) {
        done += b.size;
        continue;
      }
      const tmp = this.store.tempPath('pull');
      try {
        const base = done;
        await client.blob(b.digest, tmp, (n) => progress(`downloading ${b.digest.slice(7, 19)}`, base + n, total));
        await this.store.commitBlobFile(tmp, b.digest);
      } finally {
        await rm(tmp, { force: true });
      }
      done += b.size;
    }
    await this.store.putBlob(m.bytes, m.digest);
    await this.store.tag(`${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`, {
      mediaType: m.mediaType,
      digest: m.digest,
      size: m.bytes.length,
    });
    progress(`pulled ${m.digest}`, total, total);
  }
}
