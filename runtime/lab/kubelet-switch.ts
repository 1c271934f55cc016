// `kubewire node stop|start NODE` (and the UI's button): like `systemctl stop kubelet` on a node.
// The switch is a marker file in the node's state folder, <lab>/nodes/<node>/kubelet/stopped,
// which the cluster process looks at every second: present → that node's agents (kubelet, its
// server and lease, flanneld, kube-proxy) stop while its pods keep running, so the node controller
// sees the lease expire (NotReady, then the unreachable taint and evictions); gone → they start
// again and the node turns Ready. A file rather than a socket: it also holds across a restart of
// the cluster process, as a stopped service stays stopped.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function stoppedMarker(nodeDir: string): string {
  return join(nodeDir, 'kubelet', 'stopped');
}

export function setKubeletStopped(nodeDir: string, stopped: boolean): void {
  const f = stoppedMarker(nodeDir);
  if (stopped) {
    mkdirSync(join(nodeDir, 'kubelet'), { recursive: true });
    writeFileSync(f, `${new Date().toISOString()}\n`, { mode: 0o600 });
  } else rmSync(f, { force: true });
}

export function kubeletStopped(nodeDir: string): boolean {
  return existsSync(stoppedMarker(nodeDir));
}

/** Polls the markers and calls stop/start on changes; returns the disposer. */
export function watchKubeletSwitches(
  nodes: string[],
  nodeDir: (n: string) => string,
  running: (n: string) => boolean,
  act: (n: string, stop: boolean) => Promise<void>,
  log: (l: string) => void,
): () => void {
  let busy = false;
  const t = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      for (const n of nodes) {
        const stop = kubeletStopped(nodeDir(n));
        if (stop === running(n)) {
          log(`node ${n}: kubelet ${stop ? 'stopped' : 'started'} (kubewire node ${stop ? 'stop' : 'start'})`);
          await act(n, stop).catch((e) => log(`node ${n}: ${(e as Error).message}`));
        }
      }
    })().finally(() => (busy = false));
  }, 1000);
  return () => clearInterval(t);
}
