// The command lines of the node's `crictl` and `docker` (cli/node-tools.ts runs them): each
// subcommand's flags through cli/args.ts, as the real tools take them (`crictl ps -a`,
// `docker exec -it ID sh`, `docker inspect ID -f '{{.State.Pid}}'`). Everything here is checked
// before a record is read or a process started: a wrong command line exits 2 naming what is
// wrong, a `--help` prints the subcommand's usage.
import {
  badArgument,
  badFlag,
  choiceFlag,
  parseCommandLine,
  shown,
  UsageError,
  type CommandSpec,
  type FlagSpecs,
} from './args.js';
import { parseImageRef } from '../runtime/images/image-ref.js';
import { ValidationError } from '../common/errors.js';

export type Tool = 'crictl' | 'docker';

/** What the exit status says, in every usage text of both tools. */
const EXIT_STATUS = `exit status: 0 done; 1 it could not be done (no such container, the runtime failed; one line says why);
  2 the command line is wrong (unknown command or flag, missing or extra argument, bad value): one line
  names it, then the usage; nothing was read or run`;

const ALL = { type: 'boolean', short: 'a' } as const;
const QUIET = { type: 'boolean', short: 'q' } as const;
const EXEC_FLAGS = { interactive: { type: 'boolean', short: 'i' }, tty: { type: 'boolean', short: 't' } } as const;
const LOGS_FLAGS = { tail: { type: 'string' }, timestamps: { type: 'boolean', short: 't' } } as const;

function spec<F extends FlagSpecs>(
  tool: Tool,
  s: Omit<CommandSpec<F>, 'program' | 'usage'> & { usage: string },
): CommandSpec<F> {
  return { ...s, program: tool, usage: `usage: ${tool} ${s.usage}\n${EXIT_STATUS}` };
}

const crictl = {
  ps: spec('crictl', {
    command: 'ps',
    usage: `ps [-a] [-q]
  the node's containers, newest first (running ones unless -a)
  -a, --all      also those that exited
  -q, --quiet    only their IDs`,
    flags: { all: ALL, quiet: QUIET },
  }),
  pods: spec('crictl', {
    command: 'pods',
    usage: `pods [-q]
  the node's pod sandboxes
  -q, --quiet    only their IDs`,
    flags: { quiet: QUIET },
  }),
  inspect: spec('crictl', {
    command: 'inspect',
    usage: `inspect ID... [-o json|go-template] [--template T]
  a container's record, state, pid and OCI runtime spec (ID: a prefix of its ID, or its docker name)
  -o, --output F   json (default) or go-template
  --template T     with -o go-template: e.g. '{{.info.pid}}'`,
    flags: { output: { type: 'string', short: 'o' }, template: { type: 'string' } },
    positionals: { min: 1, max: Infinity, what: 'ID...' },
  }),
  inspectp: spec('crictl', {
    command: 'inspectp',
    usage: `inspectp ID... [-o json|go-template] [--template T]
  a pod sandbox's record, state, pid and OCI runtime spec
  -o, --output F   json (default) or go-template
  --template T     with -o go-template: e.g. '{{.info.pid}}'`,
    flags: { output: { type: 'string', short: 'o' }, template: { type: 'string' } },
    positionals: { min: 1, max: Infinity, what: 'ID...' },
  }),
  exec: spec('crictl', {
    command: 'exec',
    usage: `exec [-i] [-t] ID COMMAND [ARG...]
  run COMMAND in the container (the runtime's exec), as the container's user; its exit status is passed
  through. Flags go before ID: whatever follows ID is COMMAND's (crictl exec ID ls -l)
  -i, --interactive   keep stdin open
  -t, --tty           allocate a terminal`,
    flags: EXEC_FLAGS,
    positionals: { min: 1, what: 'ID COMMAND [ARG...]' },
    flagsEndAtArgument: true,
  }),
  logs: spec('crictl', {
    command: 'logs',
    usage: `logs [--tail N] [-t] ID
  the container's log (stdout and stderr, in order)
  --tail N          only the last N lines (all, or -1: every line)
  -t, --timestamps  each line with the time it was written`,
    flags: LOGS_FLAGS,
    positionals: { min: 1, max: 1, what: 'ID' },
  }),
  images: spec('crictl', {
    command: 'images',
    usage: `images [-q] [REPOSITORY[:TAG]]
  the machine's image store (shared by the lab's nodes), or only the images of REPOSITORY
  -q, --quiet    only their IDs`,
    flags: { quiet: QUIET },
    positionals: { max: 1 },
  }),
};

const docker = {
  ps: spec('docker', {
    command: 'ps',
    usage: `ps [-a] [-q]
  the node's containers as dockershim named them (k8s_CONTAINER_POD_NAMESPACE_UID_ATTEMPT), pauses included
  -a, --all      also those that exited
  -q, --quiet    only their IDs`,
    flags: { all: ALL, quiet: QUIET },
  }),
  inspect: spec('docker', {
    command: 'inspect',
    usage: `inspect [-f FORMAT] ID...
  a container's (or a pause's) docker inspect JSON
  -f, --format FORMAT   a Go template instead: '{{.State.Pid}}', '{{.NetworkSettings.SandboxKey}}'`,
    flags: { format: { type: 'string', short: 'f' } },
    positionals: { min: 1, max: Infinity, what: 'ID...' },
  }),
  exec: spec('docker', {
    command: 'exec',
    usage: `exec [-i] [-t] ID COMMAND [ARG...]
  run COMMAND in the container (the runtime's exec), as the container's user; its exit status is passed
  through. Flags go before ID: whatever follows ID is COMMAND's (docker exec ID ip -d link)
  -i, --interactive   keep stdin open
  -t, --tty           allocate a terminal`,
    flags: EXEC_FLAGS,
    positionals: { min: 1, what: 'ID COMMAND [ARG...]' },
    flagsEndAtArgument: true,
  }),
  logs: spec('docker', {
    command: 'logs',
    usage: `logs [--tail N] [-t] ID
  the container's log (stdout and stderr, in order)
  --tail N          only the last N lines (all: every line)
  -t, --timestamps  each line with the time it was written`,
    flags: LOGS_FLAGS,
    positionals: { min: 1, max: 1, what: 'ID' },
  }),
  images: spec('docker', {
    command: 'images',
    usage: `images [-q] [REPOSITORY[:TAG]]
  the machine's image store (shared by the lab's nodes), or only the images of REPOSITORY
  -q, --quiet    only their IDs`,
    flags: { quiet: QUIET },
    positionals: { max: 1 },
  }),
  network: spec('docker', {
    command: 'network',
    usage: `network inspect [-f FORMAT] NETWORK...
  the network every pod's pause sits on (none: the CNI plugin wired eth0, not docker); NETWORK: none or its ID
  -f, --format FORMAT   a Go template instead: '{{.Id}}'`,
    flags: { format: { type: 'string', short: 'f' } },
    positionals: { min: 1, max: Infinity, what: 'inspect NETWORK...' },
  }),
};

export const NODE_TOOL_SPECS = { crictl, docker } as const;

/** `crictl --help`: its subcommands, one line each. */
export function toolUsage(tool: Tool): string {
  const specs: Record<string, CommandSpec<FlagSpecs>> = NODE_TOOL_SPECS[tool];
  const lines = Object.values(specs).map((s) => {
    const [synopsis, what] = s.usage.slice(`usage: ${tool} `.length).split('\n');
    return `  ${synopsis!.padEnd(52)} ${what!.trim().split(/[(;]/)[0]!.trim()}`;
  });
  return `usage: ${tool} COMMAND [FLAGS] [ARGS]   (${tool} COMMAND --help: its flags)
this node's ${tool}: it reads the records of the node's container runtime, and execs with the runtime itself
${lines.join('\n')}
${EXIT_STATUS}`;
}

const NODE_TOOLS_USAGE = `usage: node-tools.js STATE_DIR crictl|docker COMMAND [ARGS]   (the node's crictl and docker wrappers run it)`;

export interface NodeToolsCommand {
  stateDir: string;
  tool: Tool;
  /** The subcommand: ps, inspect, … (`network` for docker network inspect). */
  command: string;
  values: {
    all?: boolean;
    quiet?: boolean;
    output?: 'json' | 'go-template';
    template?: string;
    format?: string;
    interactive?: boolean;
    tty?: boolean;
    /** undefined: every line. */
    tail?: number;
    timestamps?: boolean;
  };
  /** Container, sandbox or network IDs/names, an image filter. */
  args: string[];
  /** exec's COMMAND and its arguments. */
  payload: string[];
}

/** A `--help` that names no subcommand, or `help`: the tool's own usage. */
export class ToolHelp extends Error {
  constructor(readonly usage: string) {
    super('help requested');
  }
}

/** Container IDs (hex, or a prefix), docker names (k8s_kubia_kubia-b_default_UID_0), network names. */
const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,253}$/;

/**
 * The node tool's command line, checked. Throws UsageError (exit 2), HelpRequest (a subcommand's
 * --help) or ToolHelp (the tool's); nothing is read.
 */
export function parseNodeToolsCommand(argv: readonly string[]): NodeToolsCommand {
  const [stateDir, tool, sub, ...rest] = argv;
  if (!stateDir || (tool !== 'crictl' && tool !== 'docker'))
    throw new UsageError(
      '',
      `wants STATE_DIR and crictl or docker, got ${shown(argv.slice(0, 2).join(' '))}`,
      NODE_TOOLS_USAGE,
      'node-tools',
    );
  const specs: Record<string, CommandSpec<FlagSpecs>> = NODE_TOOL_SPECS[tool];
  const usage = toolUsage(tool);
  if (sub === undefined) throw new UsageError('', 'wants a COMMAND', usage, tool);
  if (sub === '--help' || sub === '-h') throw new ToolHelp(usage);
  if (sub === 'help') {
    if (rest[0] && specs[rest[0]]) return parseNodeToolsCommand([stateDir, tool, rest[0], '--help']);
    throw new ToolHelp(usage);
  }
  const s = specs[sub];
  if (!s || !Object.hasOwn(specs, sub))
    throw new UsageError(
      '',
      `${shown(sub)} is not one of the commands this node has (${Object.keys(specs).join(', ')})`,
      usage,
      tool,
    );
  const { values, positionals, passThrough } = parseCommandLine(s, rest);
  const v = values as Record<string, string | boolean | undefined>;
  const c: NodeToolsCommand = { stateDir, tool, command: sub, values: {}, args: positionals, payload: [] };
  for (const k of ['all', 'quiet', 'interactive', 'tty', 'timestamps'] as const)
    if (v[k] !== undefined) c.values[k] = v[k] as boolean;
  if (typeof v.format === 'string') {
    if (v.format === '') throw badFlag(s, 'format', 'is empty');
    c.values.format = v.format;
  }
  if (typeof v.output === 'string')
    c.values.output = choiceFlag(s, 'output', v.output, ['json', 'go-template'] as const);
  if (typeof v.template === 'string') c.values.template = v.template;
  if ((c.values.output === 'go-template') !== (c.values.template !== undefined))
    throw c.values.template !== undefined
      ? badFlag(s, 'template', 'goes with -o go-template')
      : badFlag(s, 'output', 'go-template wants --template T');
  if (typeof v.tail === 'string') {
    if (!/^(\d{1,9}|all|-1)$/.test(v.tail))
      throw badFlag(s, 'tail', `wants a number of lines or all, got ${shown(v.tail)}`);
    if (v.tail !== 'all' && v.tail !== '-1') c.values.tail = Number(v.tail);
  }
  if (sub === 'exec') {
    c.payload = passThrough[0] === '--' ? passThrough.slice(1) : passThrough;
    if (!c.payload.length) throw badArgument(s, 'COMMAND', `missing: ${tool} exec ${positionals[0]} COMMAND [ARG...]`);
  }
  if (sub === 'network') {
    const [action, ...names] = positionals as [string, ...string[]];
    if (action !== 'inspect')
      throw new UsageError(sub, `${shown(action)} is not a network command this node has (inspect)`, s.usage, tool);
    if (!names.length) throw badArgument(s, 'NETWORK', 'missing: docker network inspect NETWORK...');
    c.args = names;
  }
  if (sub === 'images') {
    for (const ref of c.args)
      try {
        parseImageRef(ref);
      } catch (err) {
        if (err instanceof ValidationError) throw badArgument(s, 'REPOSITORY', `${shown(ref)}: ${err.problem}`);
        throw err;
      }
  } else {
    const what = sub === 'network' ? 'NETWORK' : 'ID';
    for (const id of c.args)
      if (!ID.test(id))
        throw badArgument(
          s,
          what,
          `${shown(id)} is not a${what === 'ID' ? ' container ID or name' : ' network name or ID'}`,
        );
  }
  return c;
}
