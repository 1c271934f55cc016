// Where a running node container's init is: its mark /run/kubewire/nodes/<prefix><node> (written
// by native-scripts/node-container.sh), checked against the process's start time (pid reuse).
import { readFileSync } from 'node:fs';

export const NODE_MARKS = '/run/kubewire/nodes';

/** The node init's host pid, if the node container named by its namespace (kw-node5) runs. */
export function nodeInitPid(nodeNetns: string): number | undefined {
  if (!/^kw-[a-z0-9][a-z0-9.-]*$/.test(nodeNetns)) return undefined;
  try {
    const [pid, start] = readFileSync(`${NODE_MARKS}/${nodeNetns}`, 'utf8').trim().split(' ');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] === start ? Number(pid) : undefined;
  } catch {
    return undefined;
  }
}
