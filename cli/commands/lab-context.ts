// Options every lab command shares (--lab, --prefix, --state-dir, or KUBEWIRE_LAB/PREFIX/STATE_DIR)
// and the composition root that wires driver, paths and runtime for a command.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDnsLabel, isDnsSubdomain, isLabName, isLabPrefix } from '../../common/names.js';
import {
  badArgument,
  badFlag,
  parseCommandLine,
  shown,
  type CommandSpec,
  type FlagSpecs,
  type FlagValues,
} from '../args.js';
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
 * lab flags (and the KUBEWIRE_* variables that stand in for them) checked with the name validators
 * of common/names.ts before anything is done: a bad one is a usage error too. `flags`: the
 * command's own flags.
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
  // Refused as the command line is (exit 2), naming the flag, or the variable that stood in for it.
  const from = (flag: keyof typeof LAB_FLAGS, variable: string) =>
    v[flag] !== undefined ? `--${flag}` : `$${variable}`;
  if (v['state-dir'] === '') throw badFlag(spec, 'state-dir', 'is empty');
  if (o.lab !== undefined && !isLabName(o.lab))
    throw badArgument(spec, from('lab', 'KUBEWIRE_LAB'), `${shown(o.lab)} is not a lab name (a-z, 0-9, inner '-')`);
  if (o.prefix !== undefined && !isLabPrefix(o.prefix))
    throw badArgument(
      spec,
      from('prefix', 'KUBEWIRE_PREFIX'),
      `${shown(o.prefix)} must be "kw-" optionally followed by [a-z0-9-] ending with "-"`,
    );
  if (v.concurrency !== undefined && !(/^\d{1,2}$/.test(v.concurrency) && o.concurrency! >= 1 && o.concurrency! <= 64))
    throw badFlag(spec, 'concurrency', `wants a whole number 1..64, got ${shown(v.concurrency)}`);
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

/**
 * A node, a [namespace/]pod or one of the lab's own namespaces (`extra`) as a command's argument
 * names it: refused as a usage error (exit 2) unless it has a Kubernetes name's form, before the
 * lab is looked at. Whether it exists is the lab's to say (exit 1).
 */
export function labTargetArgument(
  spec: CommandSpec<FlagSpecs>,
  what: string,
  target: string,
  extra: readonly string[] = [],
): string {
  if (extra.includes(target)) return target;
  const [namespace, pod, ...more] = target.split('/');
  const ok = pod === undefined ? isDnsSubdomain(target) : !more.length && isDnsLabel(namespace!) && isDnsSubdomain(pod);
  if (!ok)
    throw badArgument(
      spec,
      what,
      `${shown(target)} is not a node or [namespace/]pod name (lowercase letters, digits, '-' and '.'${extra.length ? `; or ${extra.join(', ')}` : ''})`,
    );
  return target;
}
