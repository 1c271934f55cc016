// How a shell enters a lab namespace, as argv (never a shell string): `ip netns exec <ns> bash`,
// and for a pod whose pause pid is known `ip netns exec <pod ns> nsenter -t <pid> -u -i bash`.
import { identifyNamespace, NAMESPACE_NAME } from '../../common/lab-names.js';
import { ValidationError } from '../../common/errors.js';

export interface ShellPlan {
  argv: string[];
  env: Record<string, string>;
  title: string;
}

export function planShell(input: {
  prefix: string;
  namespace: string;
  pausePid?: number;
  nodeInitPid?: number;
  baseEnv: Record<string, string | undefined>;
  labExec?: string;
}): ShellPlan {
  const { prefix, namespace, pausePid } = input;
  if (!NAMESPACE_NAME.test(namespace) || !namespace.startsWith(prefix)) {
    throw new ValidationError('terminal namespace', `'${namespace.slice(0, 80)}' is not a namespace of lab ${prefix}`);
  }
  if (pausePid !== undefined && !(Number.isInteger(pausePid) && pausePid > 1)) {
    throw new ValidationError('terminal pause pid', `${pausePid} is not a process id`);
  }
  const ident = identifyNamespace(prefix, namespace);
  const title = `${ident.kind} ${ident.label}`;
  const ps1 = `\\[\\e[1;36m\\][${ident.label}]\\[\\e[0m\\] \\w# `;
  // A bash script on the way (lab-exec.sh) unsets PS1, as every non-interactive bash does, so the
  // prompt is handed to the shell by `env` right before it starts.
  const shell = [...(input.labExec ? ['env', `PS1=${ps1}`] : []), 'bash', '--noprofile', '--norc', '-i'];
  const nodeInit = input.nodeInitPid;
  if (nodeInit !== undefined && !(Number.isInteger(nodeInit) && nodeInit > 1))
    throw new ValidationError('terminal node pid', `${nodeInit} is not a process id`);
  // A node is a container: its shell enters all its namespaces and sees only its own processes.
  const enter =
    ident.kind === 'pod' && pausePid !== undefined
      ? ['ip', 'netns', 'exec', namespace, 'nsenter', '-t', String(pausePid), '-u', '-i', ...shell]
      : ident.kind === 'node' && nodeInit !== undefined
        ? ['nsenter', '-t', String(nodeInit), '-m', '-u', '-i', '-n', '-p', '--', ...shell]
        : ['ip', 'netns', 'exec', namespace, ...shell];
  // The shell, and whatever a learner starts from it (`unshare --net sleep infinity &`), carries
  // the lab's mark (its cgroup), so the lab's reset ends it even if this server died meanwhile.
  const argv = input.labExec ? [input.labExec, input.prefix, 'terminals', '--', ...enter] : enter;
  const env: Record<string, string> = {
    PATH: input.baseEnv.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: input.baseEnv.HOME ?? '/root',
    LANG: input.baseEnv.LANG ?? 'C.UTF-8',
    TERM: 'xterm-256color',
    KUBEWIRE_NETNS: namespace,
    // --norc keeps this prompt: a learner always sees which namespace the shell is in.
    PS1: ps1,
  };
  return { argv, env, title };
}
