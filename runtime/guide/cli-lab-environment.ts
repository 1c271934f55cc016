// The lab's world for the guide runner (`kubewire lab run` and the UI's guide), through the
// `kubewire` command itself (up/reset are the CLI's contract), under a given lab prefix.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { KubewireError } from '../../common/errors.js';
import { parseTopology } from '../../common/topology/parse-topology.js';
import type { LabEnvironment } from './lab-runner.js';
import { NetnsDriver } from '../host/netns-driver.js';
import { DEFAULT_STATE_BASE, LabPaths } from '../lab/lab-paths.js';
import { cliMain, kubewireBin, scriptsDir } from '../project-root.js';

export function cliLabEnvironment(prefix: string, stateBase = process.env.KUBEWIRE_STATE_DIR || DEFAULT_STATE_BASE): LabEnvironment {
  const labName = (topologyFile: string) => parseTopology(readFileSync(topologyFile, 'utf8'), topologyFile).name;
  const call = async (args: string[]) => {
    const r = await execa(process.execPath, [cliMain(), ...args], { reject: false, all: true, stdin: 'ignore' });
    if (r.exitCode !== 0) throw new KubewireError(`kubewire ${args.join(' ')} failed: ${(r.all ?? '').trim().split('\n').pop()}`);
  };
  return {
    prefix,
    kubewireBin: kubewireBin(),
    labExec: join(scriptsDir(), 'lab-exec.sh'),
    stateDir: (topologyFile) => new LabPaths(stateBase, labName(topologyFile)).dir,
    up: (topologyFile) => call(['up', topologyFile, '--prefix', prefix, '--state-dir', stateBase]),
    claimNamespaces: async (names) => {
      await new NetnsDriver(scriptsDir()).script('netns-claim.sh', [prefix, ...names]);
    },
    removeNamespaces: async (names) => {
      await new NetnsDriver(scriptsDir()).script('netns-down.sh', names);
    },
    reset: (topologyFile) => call(['reset', '--lab', labName(topologyFile), '--prefix', prefix, '--state-dir', stateBase]),
  };
}
