#!/usr/bin/env node
// kubewire's command line (names fixed in DESIGN.md). The only place that calls process.exit.
// Exit status: 0 done, 1 could not be done, 2 a wrong command line (cli/args.ts's UsageError).
import { commands } from './commands/index.js';
import { describeError } from '../common/errors.js';
import { HelpRequest, UsageError } from './args.js';

const USAGE = `usage: kubewire <command> [args]   (kubewire <command> --help: its flags)

  up [TOPOLOGY.yaml] [--dry-run]
                          build the lab, or converge a half-built one (default: the article's);
                          --dry-run: only the checks made before the first kernel change
  status [--json]         nodes, pods, links, agents of the running lab
  exec TARGET -- CMD...   run CMD inside a node's or a pod's namespace
  trace FROM TO [--probe] [--capture DIR] [--json]
                          a packet's path hop by hop from the kernel's state (routes, ARP/FDB, VXLAN, iptables)
  kubeconfig              print the path of a kubeconfig that kubectl can use
  node stop|start NODE    stop or start a node's kubelet (NotReady, unreachable taint, evictions)
  lab list | show ID | run ID [--from STEP] [--json] [--strict]
  image ls | pull REF | import PATH | rm REF | build NAME|all | gc
                          the machine's image store (built-in images, pulls from registries)
  down                    stop the lab's processes and remove its kernel objects, keep state
  reset                   remove every lab object and all lab state
  doctor                  prerequisites present? host namespace untouched?
  serve | desktop         the server alone | the window (or, without Electron, the URL)
  start                   what \`sudo npm start\` runs: up, then desktop

exit status:
  0  done
  1  it could not be done: what it names is not there (no such lab, node, pod, file, image), or a
     kernel or runtime step failed; one line says what and where
  2  the command line is wrong: an unknown command or flag, a missing or extra argument, a value of
     the wrong form (not a number, not one of the choices, not a valid name) or flags that exclude
     each other (also a KUBEWIRE_LAB/KUBEWIRE_PREFIX that stands in for a flag); one line names it,
     then the command's usage; nothing was changed`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`kubewire: unknown command '${name}'\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (err) {
    // `kubewire CMD --help`, or a command line CMD cannot run with (cli/args.ts).
    if (err instanceof HelpRequest) {
      console.log(err.usage);
      return 0;
    }
    if (err instanceof UsageError) {
      console.error(`${err.message}\n${err.usage}`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`kubewire: ${describeError(err)}`);
    if (process.env.KUBEWIRE_DEBUG) console.error(err);
    process.exitCode = 1;
  },
);
