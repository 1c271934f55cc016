// `kubewire up [TOPOLOGY.yaml]`: build the lab, or converge a half-built one.
import { readFile } from 'node:fs/promises';
import { ValidationError } from '../../common/errors.js';
import { parseTopology } from '../../common/topology/parse-topology.js';
import { defaultTopology } from '../../runtime/project-root.js';
import { makeRuntime, parseLabOptions } from './lab-context.js';

export async function up(args: string[]): Promise<number> {
  const o = parseLabOptions(args);
  if (o.rest.length > 1) throw new ValidationError('command line', 'up takes at most one topology file');
  const file = o.rest[0] ?? defaultTopology();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ValidationError(file, `cannot read the topology file (${(cause as NodeJS.ErrnoException).code ?? cause})`);
  }
  const topo = parseTopology(text, file, o.prefix !== undefined ? { prefix: o.prefix } : {});
  const { runtime } = makeRuntime(o, topo.name);
  const report = await runtime.up(topo);
  if (o.json) {
    console.log(JSON.stringify({ lab: topo.name, prefix: topo.prefix, phases: report.phases, totalMs: report.totalMs }));
  } else {
    const pods = Object.keys(report.state.pods).length;
    const phases = report.phases.map((p) => `${p.name} ${Math.round(p.ms)} ms`).join(', ');
    console.log(`lab ${topo.name} is up: ${topo.nodes.length} nodes, ${pods} pods (prefix ${topo.prefix}) in ${Math.round(report.totalMs)} ms (${phases})`);
  }
  return 0;
}
