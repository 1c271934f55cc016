// `kubewire up [TOPOLOGY.yaml]`: build the lab, or converge a half-built one.
import { readFile } from 'node:fs/promises';
import { ValidationError } from '../../common/errors.js';
import { parseTopology } from '../../common/topology/parse-topology.js';
import { defaultTopology } from '../../runtime/project-root.js';
import { ensureClusterProcess, stopClusterProcess } from '../../cluster/agents/cluster-process.js';
import { cliMain, scriptsDir } from '../../runtime/project-root.js';
import { join } from 'node:path';
import { labCommandSpec, makeRuntime, parseLabOptions } from './lab-context.js';
import type { PhaseEvent } from '../../runtime/concurrency.js';
import { PROGRESS_LINE_TAG } from '../../common/learner-contract.js';
import { LabOwners } from '../../runtime/lab/lab-owners.js';
import { assertPrefixFree } from '../../runtime/lab/prefix-claim.js';

/** Port of the lab apiserver on 127.0.0.1: $KUBEWIRE_APISERVER_PORT (tests: 0 = any free), else 6443. */
export function apiserverPort(env = process.env): number {
  const v = env.KUBEWIRE_APISERVER_PORT;
  if (v === undefined || v === '') return 6443;
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535)
    throw new ValidationError('KUBEWIRE_APISERVER_PORT', `is not a port: ${JSON.stringify(v)}`);
  return Number(v);
}

/**
 * With KUBEWIRE_PROGRESS=1, each phase's start and end goes to stderr as one line
 * (`kubewire-progress {json}`, common/learner-contract.ts parses it): the UI's progress bar.
 */
function progressReporter(env = process.env): ((e: PhaseEvent) => void) | undefined {
  if (env.KUBEWIRE_PROGRESS !== '1') return undefined;
  return (e) => process.stderr.write(`${PROGRESS_LINE_TAG} ${JSON.stringify(e)}\n`);
}

export const UP = labCommandSpec({
  command: 'up',
  usage: `usage: kubewire up [TOPOLOGY.yaml] [--dry-run]
  build the lab, or converge a half-built one (default topology: the article's)
  --dry-run         only the checks made before the first kernel change (nothing is created)`,
  flags: { 'dry-run': { type: 'boolean' } },
  positionals: { max: 1 },
});

export async function up(args: string[]): Promise<number> {
  const o = parseLabOptions(UP, args);
  // --dry-run: every check `up` makes before its first kernel change, then stop (nothing created).
  const dryRun = o.flags['dry-run'] ?? false;
  const file = o.rest[0] ?? defaultTopology();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ValidationError(
      file,
      `cannot read the topology file (${(cause as NodeJS.ErrnoException).code ?? cause})`,
    );
  }
  const topo = parseTopology(text, file, o.prefix !== undefined ? { prefix: o.prefix } : {});
  const { runtime, driver, paths } = makeRuntime(o, topo.name);
  // Every refusal before any change: a clash of prefixes must not cost the running lab its cluster.
  await assertPrefixFree(o.stateBase, topo, new LabOwners());
  if (dryRun) {
    const pods = topo.nodes.reduce((n, node) => n + node.pods.length, 0);
    if (o.json)
      console.log(
        JSON.stringify({ lab: topo.name, prefix: topo.prefix, nodes: topo.nodes.length, pods, dryRun: true }),
      );
    else
      console.log(
        `lab ${topo.name} is valid: ${topo.nodes.length} nodes, ${pods} pods (prefix ${topo.prefix}); --dry-run: nothing was created`,
      );
    return 0;
  }
  // The kubelets would race the runtime's convergence of the same pods: the daemon is stopped
  // first (its pods keep running) and started again on the converged lab.
  await stopClusterProcess(paths, driver);
  const onPhase = progressReporter();
  const report = await runtime.up(topo, onPhase ? { onPhase } : {});
  onPhase?.({ name: 'cluster', event: 'start', ms: 0 });
  const t0 = performance.now();
  const cluster = await ensureClusterProcess(
    paths,
    driver,
    [process.execPath, cliMain(), 'cluster', '--lab', topo.name, '--state-dir', o.stateBase],
    { labExec: join(scriptsDir(), 'lab-exec.sh') },
  );
  onPhase?.({ name: 'cluster', event: 'done', ms: performance.now() - t0 });
  if (o.json) {
    console.log(
      JSON.stringify({
        lab: topo.name,
        prefix: topo.prefix,
        phases: report.phases,
        totalMs: report.totalMs,
        apiserver: cluster.url,
        kubeconfig: cluster.kubeconfig,
      }),
    );
  } else {
    const pods = Object.keys(report.state.pods).length;
    const phases = report.phases.map((p) => `${p.name} ${Math.round(p.ms)} ms`).join(', ');
    console.log(
      `lab ${topo.name} is up: ${topo.nodes.length} nodes, ${pods} pods (prefix ${topo.prefix}) in ${Math.round(report.totalMs)} ms (${phases}); apiserver ${cluster.url}, kubeconfig ${cluster.kubeconfig}`,
    );
  }
  return 0;
}
