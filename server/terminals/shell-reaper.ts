// A closed lab closes its shells: when a terminal's namespace is no longer listed (the lab was
// reset or a pod deleted), its shell is ended and forgotten, so no bash keeps a deleted namespace
// alive and no tab points at a namespace that is gone.
import { describeError } from '../../common/errors.js';
import type { LabNamespaces } from '../lab-namespaces.js';
import type { TerminalHost } from './terminal-host.js';

export function startShellReaper(d: {
  terminals: TerminalHost;
  namespaces: LabNamespaces;
  intervalMs: number;
  log: (l: string) => void;
}): () => void {
  let busy = false;
  const timer = setInterval(() => {
    // Exited shells too: a reset kills the shell first (`ip netns pids`), then deletes the namespace.
    const open = d.terminals.list();
    if (busy || open.length === 0) return;
    busy = true;
    d.namespaces
      .list()
      .then(async (present) => {
        const gone = open.filter((t) => !present.includes(t.namespace));
        for (const t of gone) {
          d.log(`terminal ${t.id}: namespace ${t.namespace} is gone, closing its shell`);
          await d.terminals.close(t.id);
        }
      })
      .catch((err: unknown) => d.log(`shell reaper: ${describeError(err)}`))
      .finally(() => (busy = false));
  }, d.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
