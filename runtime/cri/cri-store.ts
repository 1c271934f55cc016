// The runtime's own records on the node's state folder: one JSON per sandbox and per container,
// written atomically. The kubelet, `crictl`/`docker` on the node and `kubewire status` read the
// same files, so they agree on what runs.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SandboxRecord {
  id: string;
  name: string;
  namespace: string;
  uid: string;
  hostname: string;
  netnsPath: string;
  logDirectory: string;
  createdAt: number;
  shareProcessNamespace: boolean;
  /** Pod cgroup, absolute in the host's hierarchy. */
  cgroupParent: string;
  image: string;
  pid?: number;
  hostPid?: number;
  hostStart?: number;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerRecord {
  id: string;
  podSandboxId: string;
  name: string;
  image: string;
  imageId: string;
  argv: string[];
  /** The process's user, which exec'd processes get too. */
  user: { uid: number; gid: number };
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  pid?: number;
  hostPid?: number;
  hostStart?: number;
  cgroupsPath: string;
  logPath: string;
  stopSignal?: string;
  /** Created with a terminal (the exec console holds its master; no stderr FIFO). */
  tty?: boolean;
  stdinOnce?: boolean;
  /** stdinOnce: the first attach with input has ended, the container's stdin is closed. */
  stdinClosed?: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export class CriStore {
  readonly sandboxes = new Map<string, SandboxRecord>();
  readonly containers = new Map<string, ContainerRecord>();

  constructor(readonly dir: string) {
    for (const kind of ['sandboxes', 'containers'] as const) {
      mkdirSync(join(dir, kind), { recursive: true, mode: 0o700 });
      for (const id of readdirSync(join(dir, kind))) {
        try {
          const rec = JSON.parse(readFileSync(join(dir, kind, id, 'record.json'), 'utf8'));
          if (kind === 'sandboxes') this.sandboxes.set(id, rec as SandboxRecord);
          else this.containers.set(id, rec as ContainerRecord);
        } catch {
          /* a bundle whose record was never written: removed by reset */
        }
      }
    }
  }

  sandboxDir(id: string): string {
    return join(this.dir, 'sandboxes', id);
  }

  containerDir(id: string): string {
    return join(this.dir, 'containers', id);
  }

  putSandbox(rec: SandboxRecord): void {
    this.sandboxes.set(rec.id, rec);
    writeAtomic(join(this.sandboxDir(rec.id), 'record.json'), rec);
  }

  putContainer(rec: ContainerRecord): void {
    this.containers.set(rec.id, rec);
    writeAtomic(join(this.containerDir(rec.id), 'record.json'), rec);
  }

  dropSandbox(id: string): void {
    this.sandboxes.delete(id);
    rmSync(this.sandboxDir(id), { recursive: true, force: true });
  }

  dropContainer(id: string): void {
    this.containers.delete(id);
    rmSync(this.containerDir(id), { recursive: true, force: true });
  }
}

function writeAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp`;
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(tmp, JSON.stringify(value, null, 1) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}
