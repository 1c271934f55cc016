// Options every lab command shares (--lab, --prefix, --state-dir, or KUBEWIRE_LAB/PREFIX/STATE_DIR)
// and the composition root that wires driver, paths and runtime for a command.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../../common/errors.js';
import { isLabName, isLabPrefix } from '../../common/names.js';
import { parseCommandLine, type CommandSpec, type FlagSpecs, type FlagValues } from '../args.js';
import { NetnsDriver } from '../../runtime/host/netns-driver.js';
import { DEFAULT_STATE_BASE, LabPaths } from '../../runtime/lab/lab-paths.js';
import { LabRuntime } from '../../runtime/lab/lab-runtime.js';
import { imagesDir, scriptsDir } from '../../runtime/project-root.js';

/** The flags every lab command takes, besides its own. */
export const LAB_FLAGS = {
  lab: { type: 'string' },
  prefix: { type: 'string' },
  'state-dir': { type: 'string' },
  concurrency: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies FlagSpecs;

const LAB_FLAGS_USAGE = `lab flags (every lab command):
  --lab ID          the lab (default: $KUBEWIRE_LAB, else the only lab built, else article)
  --prefix P        the lab's object prefix, kw- or kw-NAME- (default: $KUBEWIRE_PREFIX, else the topology's)
  --state-dir DIR   where labs keep their state (default: $KUBEWIRE_STATE_DIR, else ${DEFAULT_STATE_BASE})
  --concurrency N   how many of up's steps run at once, 1..64 (default 4)
  --json            machine-readable output`;

/** A lab command's spec: its own flags and the lab flags; its usage ends with theirs. */
export function labCommandSpec<F extends FlagSpecs>(
  spec: Omit<CommandSpec<F>, 'flags'> & { flags?: F },
): CommandSpec<typeof LAB_FLAGS & F> {
  return {
    ...spec,
    flags: { ...LAB_FLAGS, ...(spec.flags ?? ({} as F)) },
    usage: `${spec.usage}

${LAB_FLAGS_USAGE}`,
  };
}

export interface LabOptions {
  lab?: string;
  prefix?: string;
  stateBase: string;
  json: boolean;
  concurrency?: number;
  /** Arguments that are not options, in order. */
  rest: string[];
  /** Everything after `--` (commands whose spec has passThrough). */
  command: string[];
}

/**
 * A lab command's command line (cli/args.ts: unknown flags, missing values are usage errors), the
 * lab flags checked with the name validators of common/names.ts before anything is done. `flags`:
 * the command's own flags.
 */
export function parseLabOptions<F extends FlagSpecs>(
  spec: CommandSpec<typeof LAB_FLAGS & F>,
  args: readonly string[],
  env = process.env,
): LabOptions & { flags: FlagValues<typeof LAB_FLAGS & F> } {
  const { values, positionals, passThrough } = parseCommandLine(spec, args);
  const v = values as FlagValues<typeof LAB_FLAGS>;
  const o: LabOptions = {
    stateBase: v['state-dir'] ?? (env.KUBEWIRE_STATE_DIR || DEFAULT_STATE_BASE),
    json: v.json ?? false,
    rest: positionals,
    command: passThrough,
  };
  const lab = v.lab ?? (env.KUBEWIRE_LAB || undefined);
  if (lab !== undefined) o.lab = lab;
  const prefix = v.prefix ?? (env.KUBEWIRE_PREFIX || undefined);
  if (prefix !== undefined) o.prefix = prefix;
  if (v.concurrency !== undefined) o.concurrency = Number(v.concurrency);
  if (v['state-dir'] === '') throw new ValidationError('command line: --state-dir', 'is empty');
  if (o.lab !== undefined && !isLabName(o.lab))
    throw new ValidationError('command line: --lab', `${JSON.stringify(o.lab)} is not a lab name`);
  if (o.prefix !== undefined && !isLabPrefix(o.prefix)) {
    throw new ValidationError(
      'command line: --prefix',
      `${JSON.stringify(o.prefix)} must be "kw-" optionally followed by [a-z0-9-] ending with "-"`,
    );
  }
  if (
    o.concurrency !== undefined &&
    !(/^\d+$/.test(v.concurrency!) && Number.isInteger(o.concurrency) && o.concurrency >= 1 && o.concurrency <= 64)
  ) {
    throw new ValidationError('command line: --concurrency', 'must be an integer 1..64');
  }
  return { ...o, flags: values };
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
