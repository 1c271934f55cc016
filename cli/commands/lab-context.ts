// Options every lab command shares (--lab, --prefix, --state-dir, or KUBEWIRE_LAB/PREFIX/STATE_DIR)
// and the composition root that wires driver, paths and runtime for a command.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../../common/errors.js';
import { LAB_PREFIX, isLabName } from '../../common/names.js';
import { NetnsDriver } from '../../runtime/host/netns-driver.js';
import { DEFAULT_STATE_BASE, LabPaths } from '../../runtime/lab/lab-paths.js';
import { LabRuntime } from '../../runtime/lab/lab-runtime.js';
import { imagesDir, scriptsDir } from '../../runtime/project-root.js';

export interface LabOptions {
  lab?: string;
  prefix?: string;
  stateBase: string;
  json: boolean;
  concurrency?: number;
  /** Arguments that are not options, in order. */
  rest: string[];
  /** Everything after `--`. */
  command: string[];
}

export function parseLabOptions(args: string[], env = process.env): LabOptions {
  const o: LabOptions = { stateBase: env.KUBEWIRE_STATE_DIR || DEFAULT_STATE_BASE, json: false, rest: [], command: [] };
  if (env.KUBEWIRE_LAB) o.lab = env.KUBEWIRE_LAB;
  if (env.KUBEWIRE_PREFIX) o.prefix = env.KUBEWIRE_PREFIX;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new ValidationError('command line', `${a} needs a value`);
      return v;
    };
    if (a === '--') {
      o.command = args.slice(i + 1);
      break;
    } else if (a === '--lab') o.lab = value();
    else if (a === '--prefix') o.prefix = value();
    else if (a === '--state-dir') o.stateBase = value();
    else if (a === '--json') o.json = true;
    else if (a === '--concurrency') o.concurrency = Number(value());
    else if (a.startsWith('--')) throw new ValidationError('command line', `unknown option ${a}`);
    else o.rest.push(a);
  }
  if (o.lab !== undefined && !isLabName(o.lab))
    throw new ValidationError('command line: --lab', `${JSON.stringify(o.lab)} is not a lab name`);
  if (o.prefix !== undefined && !LAB_PREFIX.test(o.prefix)) {
    throw new ValidationError(
      'command line: --prefix',
      `${JSON.stringify(o.prefix)} must be "kw-" optionally followed by [a-z0-9-] ending with "-"`,
    );
  }
  if (o.concurrency !== undefined && !(Number.isInteger(o.concurrency) && o.concurrency >= 1 && o.concurrency <= 64)) {
    throw new ValidationError('command line: --concurrency', 'must be an integer 1..64');
  }
  return o;
}

/** The lab a command acts on: --lab, else the only lab with a state folder, else "article". */
export function resolveLabName(o: LabOptions): string {
  if (o.lab) return o.lab;
  const labs = existsSync(o.stateBase)
    ? readdirSync(o.stateBase, { withFileTypes: true }).filter(
        (d) => d.isDirectory() && existsSync(join(o.stateBase, d.name, 'state.json')),
      )
    : [];
  return labs.length === 1 ? labs[0]!.name : 'article';
}

export function makeRuntime(o: LabOptions, lab: string): { driver: NetnsDriver; paths: LabPaths; runtime: LabRuntime } {
  const trace = process.env.KUBEWIRE_TRACE
    ? (script: string, args: readonly string[], ms: number) =>
        console.error(`trace ${ms.toFixed(0).padStart(5)} ms ${script} ${args.join(' ')}`)
    : undefined;
  const driver = new NetnsDriver(scriptsDir(), trace);
  const paths = new LabPaths(o.stateBase, lab);
  const runtime = new LabRuntime(driver, paths, {
    internetServer: join(imagesDir(), 'internet-server.js'),
    ...(o.concurrency ? { concurrency: o.concurrency } : {}),
  });
  return { driver, paths, runtime };
}
