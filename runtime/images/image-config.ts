// Between the OCI config blob (image-spec spelling) and the runtime's ImageConfig.
import type { ImageConfig } from './image-service.js';
import type { OciImageConfig } from './oci-types.js';

export function toImageConfig(c: OciImageConfig): ImageConfig {
  const k = c.config ?? {};
  const out: ImageConfig = {};
  if (k.Entrypoint?.length) out.entrypoint = [...k.Entrypoint];
  if (k.Cmd?.length) out.cmd = [...k.Cmd];
  if (k.Env?.length) out.env = [...k.Env];
  if (k.WorkingDir) out.workingDir = k.WorkingDir;
  if (k.User) out.user = k.User;
  if (k.ExposedPorts && Object.keys(k.ExposedPorts).length) out.exposedPorts = Object.keys(k.ExposedPorts).sort();
  if (k.Labels && Object.keys(k.Labels).length) out.labels = { ...k.Labels };
  if (k.StopSignal) out.stopSignal = k.StopSignal;
  return out;
}

/** An OCI config for a one-layer-per-entry image built here. */
export function fromImageConfig(c: ImageConfig, diffIds: string[], created: string, createdBy: string): OciImageConfig {
  return {
    architecture: 'amd64',
    os: 'linux',
    created,
    config: {
      ...(c.user ? { User: c.user } : {}),
      ...(c.exposedPorts?.length ? { ExposedPorts: Object.fromEntries(c.exposedPorts.map((p) => [p, {}])) } : {}),
      ...(c.env ? { Env: c.env } : {}),
      ...(c.entrypoint ? { Entrypoint: c.entrypoint } : {}),
      ...(c.cmd ? { Cmd: c.cmd } : {}),
      ...(c.workingDir ? { WorkingDir: c.workingDir } : {}),
      ...(c.labels ? { Labels: c.labels } : {}),
      ...(c.stopSignal ? { StopSignal: c.stopSignal } : {}),
    },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map(() => ({ created, created_by: createdBy })),
  };
}
