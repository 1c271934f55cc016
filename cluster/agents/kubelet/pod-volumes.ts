// The kubelet's volume manager: each pod volume becomes a folder on the node that containers get
// as bind mounts — emptyDir (a tmpfs inside the node container for medium Memory), hostPath (the
// node's own filesystem, DirectoryOrCreate/FileOrCreate honoured), configMap, secret, downwardAPI
// and projected (files written from the API objects, with items, modes and ..data swaps as the
// kubelet's atomic writer does), persistentVolumeClaim (the bound PV's hostPath/local path).
// A projected serviceAccountToken is a bound token asked of the apiserver (TokenRequest, bound to
// the pod) and rewritten before it expires (refresh(), which the kubelet's housekeeping calls).
import { chmod, mkdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import type { Container, DownwardAPIFile, KeyToPath, KubeObject, Pod, Volume } from '../../../common/api-types.js';
import { Resources } from '../../client/resources.js';
import type { Mount } from '../../../runtime/cri/cri-types.js';
import type { KubeClient } from '../../client/kube-client.js';
import { downwardField } from './container-env.js';

export interface VolumeDeps {
  client: KubeClient;
  /** Folder of one pod's volumes on the node (<node state>/pods/<uid>/volumes). */
  podDir(pod: Pod): string;
  /** Mounts a tmpfs at dir inside the node container (emptyDir medium Memory). */
  mountTmpfs(dir: string, sizeBytes?: number): Promise<void>;
  unmount(dir: string): Promise<void>;
  /** Folder for PVs that name no path on this machine. */
  pvDir: string;
  /** Milliseconds since the epoch (token refresh); default Date.now. */
  now?: () => number;
}

interface TokenRequestStatus {
  status?: { token?: string; expirationTimestamp?: string };
}

export class VolumeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VolumeError';
  }
}

type Files = Map<string, { data: Buffer; mode?: number }>;

export class PodVolumes {
  /** Per pod uid: when its projected tokens are due for a refresh (the token manager's 80 % rule). */
  private readonly tokenRefreshAt = new Map<string, number>();

  constructor(private readonly d: VolumeDeps) {}

  private now(): number {
    return this.d.now?.() ?? Date.now();
  }

  /**
   * Rewrites the projected volumes that hold a service-account token once a token is past 80 % of
   * its life (or 24 h old), as the kubelet's token manager does; true when it rewrote something.
   * The ..data swap makes the new token appear at once in the running containers' bind mounts.
   */
  async refresh(pod: Pod): Promise<boolean> {
    const uid = pod.metadata.uid ?? '';
    const due = this.tokenRefreshAt.get(uid);
    if (due === undefined || this.now() < due) return false;
    this.tokenRefreshAt.delete(uid);
    try {
      for (const v of pod.spec.volumes ?? [])
        if (v.projected?.sources.some((s) => s.serviceAccountToken)) await this.volume(pod, v);
    } catch (err) {
      this.tokenRefreshAt.set(uid, this.now() + 10_000); // the apiserver may be briefly away: again soon
      throw err;
    }
    return true;
  }

  /** Makes every volume of the pod present; returns the node path per volume name. */
  async setUp(pod: Pod): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const v of pod.spec.volumes ?? []) out.set(v.name, await this.volume(pod, v));
    return out;
  }

  /** The container's mounts (volumeMounts with subPath) from the pod's volume paths. */
  mounts(c: Container, paths: Map<string, string>): Mount[] {
    return (c.volumeMounts ?? []).map((m) => {
      const base = paths.get(m.name);
      if (!base) throw new VolumeError(`container ${c.name}: volumeMount ${m.name} names no volume of the pod`);
      const sub = m.subPath ? normalize(m.subPath) : '';
      if (sub.startsWith('..') || sub.startsWith('/'))
        throw new VolumeError(`container ${c.name}: subPath ${m.subPath} leaves the volume`);
      return { containerPath: m.mountPath, hostPath: sub ? join(base, sub) : base, readonly: !!m.readOnly };
    });
  }

  /** Removes the pod's volume folders (tmpfs unmounted first); PV and hostPath data stay. */
  async tearDown(pod: Pod): Promise<void> {
    this.tokenRefreshAt.delete(pod.metadata.uid ?? '');
    for (const v of pod.spec.volumes ?? [])
      if (v.emptyDir?.medium === 'Memory')
        await this.d.unmount(join(this.d.podDir(pod), 'empty-dir', v.name)).catch(() => undefined);
    await rm(this.d.podDir(pod), { recursive: true, force: true });
  }

  private async volume(pod: Pod, v: Volume): Promise<string> {
    const ns = pod.metadata.namespace ?? 'default';
    const at = (kind: string) => join(this.d.podDir(pod), kind, v.name);
    if (v.emptyDir) {
      const dir = at('empty-dir');
      await mkdir(dir, { recursive: true, mode: 0o777 });
      await chmod(dir, 0o777);
      if (v.emptyDir.medium === 'Memory') await this.d.mountTmpfs(dir, quantityBytes(v.emptyDir.sizeLimit));
      return dir;
    }
    if (v.hostPath) {
      const p = v.hostPath.path;
      if (!p.startsWith('/')) throw new VolumeError(`volume ${v.name}: hostPath ${p} is not absolute`);
      if (v.hostPath.type === 'DirectoryOrCreate') await mkdir(p, { recursive: true, mode: 0o755 });
      if (v.hostPath.type === 'FileOrCreate') {
        await mkdir(dirname(p), { recursive: true });
        await writeFile(p, '', { flag: 'a' });
      }
      return p;
    }
    if (v.configMap || v.secret || v.downwardAPI || v.projected) {
      const files: Files = new Map();
      if (v.configMap) await this.configMap(ns, v.configMap, files, v.configMap.defaultMode);
      if (v.secret)
        await this.secret(ns, { name: v.secret.secretName, ...v.secret }, files, v.secret.defaultMode ?? 0o644);
      if (v.downwardAPI) this.downward(pod, v.downwardAPI.items ?? [], files, v.downwardAPI.defaultMode);
      for (const src of v.projected?.sources ?? []) {
        if (src.configMap) await this.configMap(ns, src.configMap, files, v.projected!.defaultMode);
        if (src.secret) await this.secret(ns, src.secret, files, v.projected!.defaultMode ?? 0o644);
        if (src.downwardAPI) this.downward(pod, src.downwardAPI.items ?? [], files, v.projected!.defaultMode);
        if (src.serviceAccountToken) {
          const token = await this.token(pod, src.serviceAccountToken);
          const mode = v.projected!.defaultMode ?? 0o644;
          files.set(src.serviceAccountToken.path, { data: Buffer.from(token), mode });
        }
      }
      const dir = at(v.secret ? 'secret' : v.configMap ? 'configmap' : 'projected');
      await writeAtomically(dir, files, v.secret ? 0o750 : 0o755);
      return dir;
    }
    if (v.persistentVolumeClaim) return this.claim(ns, v.name, v.persistentVolumeClaim.claimName);
    throw new VolumeError(
      `volume ${v.name}: no supported source (emptyDir, hostPath, configMap, secret, downwardAPI, projected, persistentVolumeClaim)`,
    );
  }

  private async configMap(
    ns: string,
    src: { name: string; items?: KeyToPath[]; optional?: boolean },
    files: Files,
    mode?: number,
  ): Promise<void> {
    const cm = await this.d.client
      .resource<ConfigMapLike>(Resources.configmaps)
      .get(src.name, ns)
      .catch((e) => {
        if (src.optional) return undefined;
        throw new VolumeError(`configmap "${src.name}" not found`, { cause: e });
      });
    if (!cm) return;
    const data = new Map<string, Buffer>([
      ...Object.entries(cm.data ?? {}).map(([k, val]) => [k, Buffer.from(val)] as [string, Buffer]),
      ...Object.entries(cm.binaryData ?? {}).map(([k, val]) => [k, Buffer.from(val, 'base64')] as [string, Buffer]),
    ]);
    pick(data, src.items, files, mode, `configmap ${src.name}`);
  }

  private async secret(
    ns: string,
    src: { name: string; items?: KeyToPath[]; optional?: boolean },
    files: Files,
    mode?: number,
  ): Promise<void> {
    const s = await this.d.client
      .resource<SecretLike>(Resources.secrets)
      .get(src.name, ns)
      .catch((e) => {
        if (src.optional) return undefined;
        throw new VolumeError(`secret "${src.name}" not found`, { cause: e });
      });
    if (!s) return;
    const data = new Map<string, Buffer>(
      Object.entries(s.data ?? {}).map(([k, val]) => [k, Buffer.from(val, 'base64')]),
    );
    pick(data, src.items, files, mode, `secret ${src.name}`);
  }

  /** A token bound to the pod, for its account and the source's audience and expiry. */
  private async token(pod: Pod, src: { audience?: string; expirationSeconds?: number }): Promise<string> {
    const ns = pod.metadata.namespace ?? 'default';
    const sa = pod.spec.serviceAccountName ?? 'default';
    const expirationSeconds = src.expirationSeconds ?? 3600;
    const tr = await this.d.client
      .resource(Resources.serviceaccounts)
      .createSubresource<TokenRequestStatus>(sa, ns, 'token', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          ...(src.audience ? { audiences: [src.audience] } : {}),
          expirationSeconds,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
        },
      })
      .catch((e) => {
        throw new VolumeError(`failed to fetch token for serviceaccount "${sa}": ${(e as Error).message}`, {
          cause: e,
        });
      });
    const token = tr.status?.token;
    if (!token) throw new VolumeError(`token request for serviceaccount "${sa}" returned no token`);
    const now = this.now();
    const exp = Date.parse(tr.status?.expirationTimestamp ?? '');
    const life = Number.isNaN(exp) ? expirationSeconds * 1000 : exp - now;
    const due = now + Math.min(life * 0.8, 24 * 3600_000);
    const uid = pod.metadata.uid ?? '';
    this.tokenRefreshAt.set(uid, Math.min(this.tokenRefreshAt.get(uid) ?? Infinity, due));
    return token;
  }

  private downward(pod: Pod, items: DownwardAPIFile[], files: Files, mode?: number): void {
    for (const it of items) {
      const value = it.fieldRef ? downwardField(pod, it.fieldRef.fieldPath) : '';
      files.set(it.path, { data: Buffer.from(value), ...((it.mode ?? mode) ? { mode: it.mode ?? mode } : {}) });
    }
  }

  private async claim(ns: string, volume: string, claimName: string): Promise<string> {
    const pvc = await this.d.client.persistentVolumeClaims.get(claimName, ns).catch((e) => {
      throw new VolumeError(`persistentvolumeclaim "${claimName}" not found`, { cause: e });
    });
    const pvName = (pvc.spec as { volumeName?: string } | undefined)?.volumeName;
    if (!pvName) throw new VolumeError(`volume ${volume}: claim ${claimName} is not bound yet`);
    const pv = await this.d.client.persistentVolumes.get(pvName);
    const path = pv.spec.hostPath?.path ?? pv.spec.local?.path ?? join(this.d.pvDir, pvName);
    await mkdir(path, { recursive: true, mode: 0o777 });
    return path;
  }
}

function pick(
  data: Map<string, Buffer>,
  items: KeyToPath[] | undefined,
  files: Files,
  mode: number | undefined,
  what: string,
): void {
  if (!items?.length) {
    for (const [k, v] of data) files.set(k, { data: v, ...(mode !== undefined ? { mode } : {}) });
    return;
  }
  for (const it of items) {
    const v = data.get(it.key);
    if (!v) throw new VolumeError(`${what} has no key ${it.key}`);
    files.set(it.path, { data: v, ...((it.mode ?? mode) !== undefined ? { mode: it.mode ?? mode } : {}) });
  }
}

/** As the kubelet's AtomicWriter: files in a timestamped folder, `..data` swapped to it, links to the names. */
async function writeAtomically(dir: string, files: Files, dirMode: number): Promise<void> {
  await mkdir(dir, { recursive: true, mode: dirMode });
  const stamp = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${Math.random().toString(36).slice(2, 8)}`;
  const target = join(dir, stamp);
  for (const [path, f] of files) {
    const rel = normalize(path);
    if (rel.startsWith('..') || rel.startsWith('/')) throw new VolumeError(`file path ${path} leaves the volume`);
    await mkdir(dirname(join(target, rel)), { recursive: true });
    await writeFile(join(target, rel), f.data, { mode: f.mode ?? 0o644 });
    await chmod(join(target, rel), f.mode ?? 0o644);
  }
  await mkdir(target, { recursive: true });
  const previous = await readlink(join(dir, '..data')).catch(() => undefined);
  await rm(join(dir, '..data_tmp'), { force: true });
  await symlink(stamp, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  // The previous generation goes once nothing points at it (a rewrite: a refreshed token).
  if (previous && previous.startsWith('..') && previous !== stamp)
    await rm(join(dir, previous), { recursive: true, force: true });
  for (const path of files.keys()) {
    const top = normalize(path).split('/')[0]!;
    await rm(join(dir, top), { force: true, recursive: false }).catch(() => undefined);
    await symlink(join('..data', top), join(dir, top)).catch(() => undefined);
  }
}

export type ConfigMapLike = KubeObject & { data?: Record<string, string>; binaryData?: Record<string, string> };
export type SecretLike = KubeObject & { data?: Record<string, string> };

/** "64Mi", "1G", "100" → bytes (undefined when absent). */
export function quantityBytes(q: string | undefined): number | undefined {
  if (!q) return undefined;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|m)?$/.exec(q.trim());
  if (!m) return undefined;
  const mult: Record<string, number> = {
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    m: 1e-3,
  };
  return Math.round(Number(m[1]) * (m[2] ? mult[m[2]]! : 1));
}
