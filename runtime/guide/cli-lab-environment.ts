// The lab's world for the guide runner (`kubewire lab run` and the UI's guide), through the
// `kubewire` command itself (up/reset are the CLI's contract), under a given lab prefix.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { KubewireError } from '../../common/errors.js';
import { parseTopology } from '../../common/topology/parse-topology.js';
import type { LabEnvironment } from './lab-runner.js';
import type { PhaseEvent } from '../concurrency.js';
import { parseProgressLine } from '../../common/learner-contract.js';
import { NetnsDriver } from '../host/netns-driver.js';
import { DEFAULT_STATE_BASE, LabPaths } from '../lab/lab-paths.js';
import { LabNames } from '../lab/lab-names.js';
import { waitForPods } from './pod-readiness.js';
import { cliMain, kubewireBin, scriptsDir } from '../project-root.js';

export function cliLabEnvironment(
  prefix: string,
  stateBase = process.env.KUBEWIRE_STATE_DIR || DEFAULT_STATE_BASE,
): LabEnvironment {
  const topology = (topologyFile: string) => parseTopology(readFileSync(topologyFile, 'utf8'), topologyFile);
  const labName = (topologyFile: string) => topology(topologyFile).name;
  const call = async (args: string[], onPhase?: (e: PhaseEvent) => void) => {
    const child = execa(process.execPath, [cliMain(), ...args], {
      reject: false,
      all: true,
      stdin: 'ignore',
      env: onPhase ? { KUBEWIRE_PROGRESS: '1' } : {},
    });
    if (onPhase) {
      // Phase lines arrive while `up` runs; a line may be split across chunks.
      let rest = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          const e = parseProgressLine(line);
          if (e) onPhase(e);
        }
      });
    }
    const r = await child;
    const output = (r.all ?? '').split('\n').filter((l) => !parseProgressLine(l));
    if (r.exitCode !== 0)
      throw new KubewireError(`kubewire ${args.join(' ')} failed: ${output.join('\n').trim().split('\n').pop()}`);
  };
  return {
    prefix,
    kubewireBin: kubewireBin(),
    labExec: join(scriptsDir(), 'lab-exec.sh'),
    stateDir: (topologyFile) => new LabPaths(stateBase, labName(topologyFile)).dir,
    up: (topologyFile, onPhase) => call(['up', topologyFile, '--prefix', prefix, '--state-dir', stateBase], onPhase),
    claimNamespaces: async (names) => {
      await new NetnsDriver(scriptsDir()).script('netns-claim.sh', [prefix, ...names]);
    },
    removeNamespaces: async (names) => {
      await new NetnsDriver(scriptsDir()).script('netns-down.sh', names);
    },
    waitForPods: (topologyFile) => {
      const paths = new LabPaths(stateBase, labName(topologyFile));
      const names = new LabNames(prefix);
      const driver = new NetnsDriver(scriptsDir());
      return waitForPods(topology(topologyFile), {
        statePath: paths.state,
        kubeletPods: (node) => paths.kubeletPods(node),
        clusterLog: join(paths.logs, 'cluster.log'),
        proxyRules: async (node, mode) => {
          const argv =
            mode === 'nftables' ? ['nft', 'list', 'table', 'ip', 'kube-proxy'] : ['iptables-save', '-t', 'nat'];
          return (await driver.exec(names.node(node), argv, { timeoutMs: 10_000 })).stdout;
        },
      });
    },
    reset: (topologyFile) =>
      call(['reset', '--lab', labName(topologyFile), '--prefix', prefix, '--state-dir', stateBase]),
  };
}
