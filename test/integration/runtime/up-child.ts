// A bare `up` through the runtime API in its own process (no cluster daemon, unlike the CLI), so a
// test can kill -9 it mid-way. Usage: node up-child.js TOPOLOGY PREFIX STATE_BASE
// Its phases go to stderr as the CLI's KUBEWIRE_PROGRESS=1 lines (`kubewire-progress {json}`), so a
// test kills it when a chosen phase has started.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTopology } from '../../../common/topology/parse-topology.js';
import { NetnsDriver } from '../../../runtime/host/netns-driver.js';
import { LabPaths } from '../../../runtime/lab/lab-paths.js';
import { LabRuntime } from '../../../runtime/lab/lab-runtime.js';
import { imagesDir, scriptsDir } from '../../../runtime/project-root.js';
import { PROGRESS_LINE_TAG } from '../../../common/learner-contract.js';

const [file, prefix, base] = process.argv.slice(2) as [string, string, string];
const topo = parseTopology(readFileSync(file, 'utf8'), file, { prefix });
await new LabRuntime(new NetnsDriver(scriptsDir()), new LabPaths(base, topo.name), {
  internetServer: join(imagesDir(), 'internet-server.js'),
}).up(topo, { onPhase: (e) => process.stderr.write(`${PROGRESS_LINE_TAG} ${JSON.stringify(e)}\n`) });
