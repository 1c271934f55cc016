// `kubewire start [TOPOLOGY.yaml]` (what `sudo npm start` runs): `up`, then `desktop` on the same
// lab prefix: the window, or without an Electron binary the printed URL (and a browser if one exists).
import { readFile } from 'node:fs/promises';
import { parseTopology } from '../../common/topology/parse-topology.js';
import { defaultTopology } from '../../runtime/project-root.js';
import { desktop } from './desktop.js';
import { labCommandSpec, parseLabOptions } from './lab-context.js';
import { labKubeconfig } from './serve.js';
import { up } from './up.js';
import { ensureBuiltinImages } from './start-images.js';

const START = labCommandSpec({
  command: 'start',
  usage: `usage: kubewire start [TOPOLOGY.yaml]
  what \`sudo npm start\` runs: the built-in images, up, then desktop`,
  positionals: { max: 1 },
});

export async function start(args: string[]): Promise<number> {
  const o = parseLabOptions(START, args); // a bad command line is refused before anything is built
  await ensureBuiltinImages();
  const code = await up(args);
  if (code !== 0) return code;
  const file = o.rest[0] ?? defaultTopology();
  const topo = parseTopology(await readFile(file, 'utf8'), file, o.prefix !== undefined ? { prefix: o.prefix } : {});
  // The UI's Cluster tab reads the lab just brought up (its name is the topology's, e.g. article).
  return desktop(['--prefix', topo.prefix, '--kubeconfig', labKubeconfig(topo.prefix, o.stateBase)]);
}
