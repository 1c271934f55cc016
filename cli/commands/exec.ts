// `kubewire exec TARGET -- CMD...`: run CMD in a node's, a pod's ([namespace/]pod) or the lab's
// gateway/internet/underlay namespace, with the terminal's stdio; CMD's exit code is passed through.
// In a pod it also joins the pause's UTS and IPC namespaces, so `hostname` prints the pod's name.
import { KubewireError, ValidationError } from '../../common/errors.js';
import { LabNames } from '../../runtime/lab/lab-names.js';
import { loadState, podKey } from '../../runtime/lab/lab-state.js';
import { allPodRecords } from '../../runtime/lab/pod-records.js';
import { execa } from 'execa';
import { nodeInitPid } from '../../runtime/cri/node-marks.js';
import { UsageError } from '../args.js';
import { labCommandSpec, labTargetArgument, makeRuntime, parseLabOptions, resolveLabName } from './lab-context.js';

/** The lab's own namespaces exec enters by name, besides nodes and pods. */
const LAB_NAMESPACES = ['gateway', 'internet', 'underlay'] as const;

export const EXEC = labCommandSpec({
  command: 'exec',
  usage: `usage: kubewire exec TARGET -- CMD...
  run CMD inside a node's or a pod's namespace (node5, default/kubia-24hmb, gateway, internet, underlay)`,
  positionals: { min: 1, max: Infinity }, // more than one: a command without '--', said below
  passThrough: true,
});

export async function exec(args: string[]): Promise<number> {
  const o = parseLabOptions(EXEC, args);
  const [target, ...more] = o.rest as [string, ...string[]];
  if (more.length)
    throw new UsageError(
      'exec',
      `the command goes after '--': kubewire exec ${target} -- ${more.join(' ')}${o.command.length ? ` ${o.command.join(' ')}` : ''}`,
      EXEC.usage,
    );
  if (o.command.length === 0) throw new UsageError('exec', "no command after '--'", EXEC.usage);
  labTargetArgument(EXEC, 'TARGET', target, LAB_NAMESPACES);
  const lab = resolveLabName(o);
  const { driver, paths } = makeRuntime(o, lab);
  const state = await loadState(paths.state);
  if (!state) throw new KubewireError(`lab ${lab} is not built (no ${paths.state}; kubewire up builds it)`);
  const names = new LabNames(state.prefix);
  let netns: string | undefined;
  let joinPid: number | undefined;
  const pods = allPodRecords(paths, state);
  if ((LAB_NAMESPACES as readonly string[]).includes(target)) netns = names[target as (typeof LAB_NAMESPACES)[number]];
  else if (state.topology.nodes.some((n) => n.name === target)) {
    netns = names.node(target);
    // A node is a container: its shell sees its own processes, mounts and tools (crictl, docker).
    const init = nodeInitPid(netns);
    if (init) {
      const r = await execa('nsenter', ['-t', String(init), '-m', '-u', '-i', '-n', '-p', '--', ...o.command], {
        stdio: 'inherit',
        reject: false,
      });
      return r.exitCode ?? 128;
    }
  } else {
    const key = target.includes('/') ? target : podKey('default', target);
    const pod = pods[key];
    if (!pod) {
      const known = [...state.topology.nodes.map((n) => n.name), ...Object.keys(pods), 'gateway', 'internet'].join(
        ', ',
      );
      throw new ValidationError(`exec ${target}`, `no node or pod of that name in lab ${lab} (known: ${known})`);
    }
    // Into the pod's first running container: all its namespaces, its root and working folder.
    for (const c of Object.values(pod.containers)) {
      if (!(await driver.alive([c]))[0]) continue;
      const r = await execa(
        'nsenter',
        ['-t', String(c.pid), '-m', '-u', '-i', '-n', '-p', '-C', '-r', '-w', '--', ...o.command],
        { stdio: 'inherit', reject: false },
      );
      return r.exitCode ?? 128;
    }
    netns = pod.netns;
    if (pod.sandbox && (await driver.alive([pod.sandbox]))[0]) joinPid = pod.sandbox.pid;
  }
  const r = await driver.exec(netns, o.command, { inherit: true, ...(joinPid ? { joinPid } : {}) });
  return r.exitCode;
}
