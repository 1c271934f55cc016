// `kubewire start [TOPOLOGY.yaml]` (what `sudo npm start` runs): `up`, then `desktop` on the same
// lab prefix: the window, or without an Electron binary the printed URL (and a browser if one exists).
import { readFile } from 'node:fs/promises';
import { parseTopology } from '../../common/topology/parse-topology.js';
import { defaultTopology } from '../../runtime/project-root.js';
import { desktop } from './desktop.js';
import { parseLabOptions } from './lab-context.js';
import { labKubeconfig } from './serve.js';
import { up } from './up.js';
import { ensureBuiltinImages } from './start-images.js';

export async function start(args: string[]): Promise<number> {
  await ensureBuiltinImages();
  const code = await up(args);
  if (code !== 0) return code;
  const o = parseLabOptions(args);
  const file = o.rest[0] ?? defaultTopology();
  const topo = parseTopology(await readFile(file, 'utf8'), file, o.prefix !== undefined ? { prefix: o.prefix } : {});
  // The UI's Cluster tab reads the lab just brought up (its name is the topology's, e.g. article).
  return desktop(['--prefix', topo.prefix, '--kubeconfig', labKubeconfig(topo.prefix, o.stateBase)]);
}
