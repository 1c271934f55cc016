// What a kubelet runs, kept in its node's state folder (nodes/<node>/kubelet/pods.json) so that a
// restarted kubelet adopts its running pods instead of starting them twice, and `down` finds them.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PodRecord } from '../../../runtime/lab/lab-state.js';

export interface SavedPod {
  uid: string;
  record: PodRecord;
  restartCounts: Record<string, number>;
}

export class KubeletRecords {
  private pods: Record<string, SavedPod> | undefined;

  constructor(readonly path: string) {}

  load(): Record<string, SavedPod> {
    if (!this.pods) {
      try {
        this.pods = JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, SavedPod>;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        this.pods = {};
      }
    }
    return this.pods;
  }

  put(key: string, pod: SavedPod): void {
    this.load()[key] = pod;
    this.write();
  }

  remove(key: string): void {
    if (!(key in this.load())) return;
    delete this.load()[key];
    this.write();
  }

  /** Written synchronously and atomically: small, and never half-written on kill -9. */
  private write(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.pods) + '\n');
    renameSync(tmp, this.path);
  }
}
