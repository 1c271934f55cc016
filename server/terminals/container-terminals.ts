// Terminals in a pod's container through the Kubernetes path — `kubewire pod-exec`, a pods/exec
// client like `kubectl exec -it`: apiserver → the node's kubelet on :10250 → the container — next
// to the namespace terminals (`ip netns exec`). Each terminal says which path it takes. Also the
// UI's kubelet switch for a node (`kubewire node stop|start`).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TerminalInfo } from '../../common/ui-contract.js';
import { ValidationError } from '../../common/errors.js';
import { setKubeletStopped } from '../../runtime/lab/kubelet-switch.js';
import { loadState } from '../../runtime/lab/lab-state.js';
import type { LabNamespaces } from '../lab-namespaces.js';
import type { TerminalHost } from './terminal-host.js';

export interface ContainerTerminalDeps {
  prefix: string;
  /** The lab apiserver's admin kubeconfig (<lab>/apiserver/admin.kubeconfig). */
  kubeconfig: string;
  /** dist/cli/main.js, run with this Node. */
  cliMain: string;
  namespaces: LabNamespaces;
  terminals: TerminalHost;
  env: Record<string, string | undefined>;
}

export class ContainerTerminals {
  constructor(private readonly d: ContainerTerminalDeps) {}

  async open(
    namespace: string,
    pod: string,
    container: string | undefined,
    cols: number,
    rows: number,
  ): Promise<TerminalInfo> {
    if (!existsSync(this.d.kubeconfig))
      throw new ValidationError('terminal.exec', "the lab's apiserver is not running");
    // The pod's sandbox namespace: the terminal goes when the pod goes (the reaper watches it).
    const netns = await this.d.namespaces.require(`${this.d.prefix}${namespace}_${pod}`, 'terminal.exec pod');
    const argv = [
      process.execPath,
      this.d.cliMain,
      'pod-exec',
      '--kubeconfig',
      this.d.kubeconfig,
      `${namespace}/${pod}`,
      ...(container ? ['-c', container] : []),
    ];
    const env = {
      PATH: this.d.env.PATH ?? '/usr/bin:/bin',
      HOME: this.d.env.HOME ?? '/root',
      LANG: this.d.env.LANG ?? 'C.UTF-8',
      TERM: 'xterm-256color',
    };
    return this.d.terminals.open({
      namespace: netns,
      title: `exec ${namespace}/${pod}${container ? `/${container}` : ''}`,
      argv,
      env,
      cols,
      rows,
      path: 'pods/exec: apiserver → kubelet :10250 (WebSocket v5.channel.k8s.io) → nsenter into the container',
    });
  }

  /** Writes the node's kubelet switch, which the cluster process acts on within a second. */
  async kubelet(node: string, action: 'stop' | 'start'): Promise<{ node: string; stopped: boolean }> {
    const labDir = dirname(dirname(this.d.kubeconfig));
    const state = await loadState(join(labDir, 'state.json'));
    if (!state?.topology.nodes.some((n) => n.name === node))
      throw new ValidationError('node.kubelet node', `no node ${node} in this lab`);
    setKubeletStopped(join(labDir, 'nodes', node), action === 'stop');
    return { node, stopped: action === 'stop' };
  }
}
