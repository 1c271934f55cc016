// `crictl` and `docker` on a node, the subsets the article uses to look at containers: they read
// the node runtime's own records (the same files the kubelet's runtime writes) and run
// `crun exec` for exec, so what they show is what runs. Installed into each node container's
// PATH as small wrappers (runtime/cri/node-container.ts writes them). Usage:
//   node-tools.js STATE_DIR crictl ps|pods|inspect|inspectp|exec|logs|images …
//   node-tools.js STATE_DIR docker ps|inspect|exec|logs|images|network inspect …
// The command lines are checked first (cli/node-tools-args.ts): exit 2 names what is wrong.
import { execaSync } from 'execa';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CriStore, type ContainerRecord, type SandboxRecord } from '../runtime/cri/cri-store.js';
import { criToText } from '../runtime/cri/container-log.js';
import { openImageService } from '../runtime/images/local-image-service.js';
import { imageStoreDir } from '../runtime/images/oci-store.js';
import { pickOciRuntime } from '../runtime/cri/oci-runtime.js';

import { HelpRequest, UsageError } from './args.js';
import { parseNodeToolsCommand, ToolHelp, type NodeToolsCommand, type Tool } from './node-tools-args.js';
import { parseImageRef } from '../runtime/images/image-ref.js';

const ago = (ms: number) => {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s} seconds ago`;
  if (s < 3600) return `${Math.round(s / 60)} minutes ago`;
  return `${Math.round(s / 3600)} hours ago`;
};
const table = (rows: string[][]) => {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]! + 3))).join('')).join('\n');
};

/** Where the tools write: the process's stdout/stderr, or a test's buffers. */
export interface NodeToolsIo {
  out(text: string): void;
  err(text: string): void;
}

const PROCESS_IO: NodeToolsIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

class NodeTools {
  readonly store: CriStore;
  constructor(
    readonly stateDir: string,
    readonly io: NodeToolsIo,
  ) {
    this.store = new CriStore(join(stateDir, 'cri'));
  }

  /** A block of output and its newline. */
  print(s: string): void {
    this.io.out(`${s}\n`);
  }

  /** One line each (`ps -q`): none at all for none. */
  printLines(lines: readonly string[]): void {
    for (const l of lines) this.io.out(`${l}\n`);
  }

  state(c: ContainerRecord): 'Running' | 'Exited' | 'Created' {
    if (c.startedAt === undefined) return 'Created';
    if (c.finishedAt !== undefined) return 'Exited';
    try {
      readFileSync(join(this.stateDir, 'exits', String(c.pid)));
      return 'Exited';
    } catch {
      return c.pid && pidAlive(c.pid) ? 'Running' : 'Exited';
    }
  }

  exitCode(c: ContainerRecord): number | undefined {
    if (c.exitCode !== undefined) return c.exitCode;
    try {
      return Number(readFileSync(join(this.stateDir, 'exits', String(c.pid)), 'utf8').split(' ')[0]);
    } catch {
      return undefined;
    }
  }

  find(id: string): { kind: 'container'; rec: ContainerRecord } | { kind: 'sandbox'; rec: SandboxRecord } {
    const cs = [...this.store.containers.values()].filter(
      (c) => c.id.startsWith(id) || dockerName(c, this.store) === id,
    );
    if (cs.length === 1) return { kind: 'container', rec: cs[0]! };
    const ss = [...this.store.sandboxes.values()].filter(
      (s) => s.id.startsWith(id) || `k8s_POD_${s.name}_${s.namespace}_${s.uid}_0` === id,
    );
    if (ss.length === 1 && cs.length === 0) return { kind: 'sandbox', rec: ss[0]! };
    throw new Error(cs.length + ss.length > 1 ? `ID ${id} is ambiguous` : `No such container: ${id}`);
  }

  /** `exec [-i] [-t] ID CMD...`: the runtime's exec, the terminal's stdio; CMD's exit status. */
  exec(id: string, argv: string[], tty: boolean): number {
    const c = this.find(id);
    const rt = pickOciRuntime();
    const user = c.kind === 'container' ? ['--user', `${c.rec.user.uid}:${c.rec.user.gid}`] : [];
    const r = execaSync(
      rt,
      ['--root', join(this.stateDir, 'oci'), 'exec', ...user, ...(tty ? ['--tty'] : []), c.rec.id, ...argv],
      { stdio: 'inherit', reject: false },
    );
    return r.exitCode ?? 1;
  }

  logs(id: string, o: { tail?: number; timestamps?: boolean }): number {
    const c = this.find(id);
    if (c.kind !== 'container') throw new Error(`${id} is a pod sandbox: it writes no log`);
    const text = criToText(readFileSync(c.rec.logPath, 'utf8'), o.timestamps ?? false);
    this.io.out(o.tail === undefined ? text : lastLines(text, o.tail));
    return 0;
  }
}

/** The last n lines of a text (a last line without its newline counts as one). */
export function lastLines(text: string, n: number): string {
  if (n === 0) return '';
  const lines = text.split('\n');
  const tail = lines.at(-1) === '' ? lines.slice(0, -1) : lines;
  const kept = tail.slice(-n).join('\n');
  return text.endsWith('\n') ? `${kept}\n` : kept;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function dockerName(c: ContainerRecord, store: CriStore): string {
  const sb = store.sandboxes.get(c.podSandboxId);
  const attempt = c.annotations['io.kubernetes.container.restartCount'] ?? '0';
  return `k8s_${c.name}_${sb?.name ?? ''}_${sb?.namespace ?? ''}_${sb?.uid ?? ''}_${attempt}`;
}

/**
 * Docker's view of a pod's network, as the article's dockershim made it: every pause container
 * sits on the node's built-in `none` network (driver null: docker only gave it a loopback; the
 * kubelet's CNI plugin wired eth0 into cni0 afterwards). Its id and each endpoint's id are stable
 * hashes (of the node's state folder, of the sandbox id), as docker's are random but fixed.
 */
function noneNetworkId(stateDir: string): string {
  return createHash('sha256').update(`network none ${stateDir}`).digest('hex');
}
function endpointId(sandboxId: string): string {
  return createHash('sha256').update(`endpoint ${sandboxId}`).digest('hex');
}

/** `{{.State.Pid}}`-style templates over an object, as `docker inspect -f` takes them. */
export function goTemplate(tpl: string, obj: unknown): string {
  return tpl.replace(/\{\{\s*(\.[A-Za-z0-9_.]*)\s*\}\}/g, (_, path: string) => {
    let v: unknown = obj;
    for (const k of path.split('.').filter(Boolean)) v = (v as Record<string, unknown> | undefined)?.[k];
    return v === undefined ? '<no value>' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

function dockerInspect(t: NodeTools, id: string): Record<string, unknown> {
  const f = t.find(id);
  if (f.kind === 'sandbox') {
    const s = f.rec;
    const alive = s.state === 'SANDBOX_READY' && !!s.pid && pidAlive(s.pid);
    return {
      Id: s.id,
      Name: `/k8s_POD_${s.name}_${s.namespace}_${s.uid}_0`,
      Created: new Date(s.createdAt).toISOString(),
      State: { Status: alive ? 'running' : 'exited', Running: alive, Pid: alive ? s.pid : 0 },
      Config: { Image: s.image, Hostname: s.hostname, Cmd: ['/pause'], Labels: s.labels },
      HostConfig: { NetworkMode: 'none', CgroupParent: s.cgroupParent },
      NetworkSettings: {
        SandboxKey: s.netnsPath,
        Networks: {
          none: {
            NetworkID: noneNetworkId(t.stateDir),
            EndpointID: endpointId(s.id),
            Gateway: '',
            IPAddress: '',
            MacAddress: '',
          },
        },
      },
    };
  }
  const c = f.rec;
  const st = t.state(c);
  const sb = t.store.sandboxes.get(c.podSandboxId);
  return {
    Id: c.id,
    Name: `/${dockerName(c, t.store)}`,
    Created: new Date(c.createdAt).toISOString(),
    Image: c.imageId,
    State: {
      Status: st.toLowerCase(),
      Running: st === 'Running',
      Pid: st === 'Running' ? c.pid : 0,
      ExitCode: t.exitCode(c) ?? 0,
      OOMKilled: c.reason === 'OOMKilled',
      StartedAt: c.startedAt ? new Date(c.startedAt).toISOString() : '',
      FinishedAt: c.finishedAt ? new Date(c.finishedAt).toISOString() : '',
    },
    Config: { Image: c.image, Cmd: c.argv, Hostname: sb?.hostname ?? '', Labels: c.labels },
    HostConfig: {
      NetworkMode: `container:${c.podSandboxId}`,
      PidMode: '',
      IpcMode: `container:${c.podSandboxId}`,
      CgroupParent: sb?.cgroupParent ?? '',
    },
    LogPath: c.logPath,
  };
}

/** `images [REPOSITORY[:TAG]]`: a reference names the images of that repository (and tag, if given). */
function imageFilter(want: string | undefined): (ref: string) => boolean {
  if (want === undefined) return () => true;
  const w = parseImageRef(want);
  const tagged = /:[^/]*$/.test(want) || want.includes('@');
  return (ref) => {
    const r = parseImageRef(ref);
    return r.registry === w.registry && r.repository === w.repository && (!tagged || r.tag === w.tag);
  };
}

/** The table's lines (or with quiet the IDs, one each). */
async function images(tool: Tool, o: { quiet?: boolean; filter?: string }): Promise<string[]> {
  const svc = await openImageService({ dir: imageStoreDir() });
  const rows = [
    tool === 'crictl' ? ['IMAGE', 'TAG', 'IMAGE ID', 'SIZE'] : ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'],
  ];
  const ids: string[] = [];
  const wanted = imageFilter(o.filter);
  for (const i of await svc.list()) {
    for (const ref of i.refs.filter(wanted)) {
      const m = /^(.*):([^:/]+)$/.exec(ref);
      const size = `${(i.size / 1e6).toFixed(1)}MB`;
      const short = i.id.replace(/^sha256:/, '').slice(0, tool === 'crictl' ? 13 : 12);
      ids.push(tool === 'crictl' ? i.id : short);
      rows.push(
        tool === 'crictl'
          ? [m?.[1] ?? ref, m?.[2] ?? '<none>', short, size]
          : [m?.[1] ?? ref, m?.[2] ?? '<none>', short, '-', size],
      );
    }
  }
  return o.quiet ? [...new Set(ids)] : [table(rows)];
}

function crictlPs(t: NodeTools, c: NodeToolsCommand): number {
  const cs = containers(t, c.values.all ?? false);
  if (c.values.quiet) return (t.printLines(cs.map((x) => x.id)), 0);
  t.print(
    table([
      ['CONTAINER', 'IMAGE', 'CREATED', 'STATE', 'NAME', 'ATTEMPT', 'POD ID', 'POD'],
      ...cs.map((x) => [
        x.id.slice(0, 13),
        x.imageId.replace(/^sha256:/, '').slice(0, 13),
        ago(x.createdAt),
        t.state(x),
        x.name,
        x.annotations['io.kubernetes.container.restartCount'] ?? '0',
        x.podSandboxId.slice(0, 13),
        t.store.sandboxes.get(x.podSandboxId)?.name ?? '',
      ]),
    ]),
  );
  return 0;
}

function crictlPods(t: NodeTools, c: NodeToolsCommand): number {
  const ss = [...t.store.sandboxes.values()];
  if (c.values.quiet) return (t.printLines(ss.map((s) => s.id)), 0);
  t.print(
    table([
      ['POD ID', 'CREATED', 'STATE', 'NAME', 'NAMESPACE', 'ATTEMPT', 'RUNTIME'],
      ...ss.map((s) => [
        s.id.slice(0, 13),
        ago(s.createdAt),
        s.state === 'SANDBOX_READY' ? 'Ready' : 'NotReady',
        s.name,
        s.namespace,
        '0',
        '(default)',
      ]),
    ]),
  );
  return 0;
}

/** `crictl inspect`/`inspectp`: the record with its state, the pid and the OCI runtime spec. */
function crictlInspect(t: NodeTools, c: NodeToolsCommand): number {
  for (const id of c.args) {
    const f = t.find(id);
    const info = dockerInspect(t, f.rec.id);
    const obj = {
      status: { ...f.rec, state: (info.State as { Status: string }).Status },
      info: {
        pid: (info.State as { Pid: number }).Pid,
        runtimeSpec: JSON.parse(
          readFileSync(
            join(t.stateDir, 'cri', f.kind === 'sandbox' ? 'sandboxes' : 'containers', f.rec.id, 'config.json'),
            'utf8',
          ),
        ),
      },
    };
    t.print(c.values.template !== undefined ? goTemplate(c.values.template, obj) : JSON.stringify(obj, null, 2));
  }
  return 0;
}

function dockerPs(t: NodeTools, c: NodeToolsCommand): number {
  const all = c.values.all ?? false;
  const rows = [['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES']];
  for (const x of containers(t, all))
    rows.push([
      x.id.slice(0, 12),
      x.image,
      JSON.stringify(x.argv.join(' ').slice(0, 20)),
      ago(x.createdAt),
      t.state(x) === 'Running'
        ? `Up ${ago(x.startedAt ?? x.createdAt).replace(' ago', '')}`
        : `Exited (${t.exitCode(x) ?? 0})`,
      '',
      dockerName(x, t.store),
    ]);
  for (const s of t.store.sandboxes.values())
    if (all || s.state === 'SANDBOX_READY')
      rows.push([
        s.id.slice(0, 12),
        s.image,
        '"/pause"',
        ago(s.createdAt),
        s.state === 'SANDBOX_READY' ? `Up ${ago(s.createdAt).replace(' ago', '')}` : 'Exited (0)',
        '',
        `k8s_POD_${s.name}_${s.namespace}_${s.uid}_0`,
      ]);
  if (c.values.quiet) t.printLines(rows.slice(1).map((r) => r[0]!));
  else t.print(table(rows));
  return 0;
}

function dockerInspectCommand(t: NodeTools, c: NodeToolsCommand): number {
  const objs = c.args.map((id) => dockerInspect(t, id));
  const fmt = c.values.format;
  t.print(fmt !== undefined ? objs.map((o) => goTemplate(fmt, o)).join('\n') : JSON.stringify(objs, null, 4));
  return 0;
}

function dockerNetworkInspect(t: NodeTools, c: NodeToolsCommand): number {
  const id = noneNetworkId(t.stateDir);
  for (const want of c.args)
    if (want !== 'none' && !(want.length >= 3 && id.startsWith(want))) {
      t.io.err(`Error: No such network: ${want} (this node's pods are on network none, ${id.slice(0, 12)})\n`);
      return 1;
    }
  const pods = [...t.store.sandboxes.values()].filter((s) => s.state === 'SANDBOX_READY');
  const network = {
    Name: 'none',
    Id: id,
    Scope: 'local',
    Driver: 'null',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [] },
    Internal: false,
    Attachable: false,
    Containers: Object.fromEntries(
      pods.map((s) => [
        s.id,
        {
          Name: `k8s_POD_${s.name}_${s.namespace}_${s.uid}_0`,
          EndpointID: endpointId(s.id),
          MacAddress: '',
          IPv4Address: '',
          IPv6Address: '',
        },
      ]),
    ),
    Options: {},
    Labels: {},
  };
  const objs = c.args.map(() => network);
  const fmt = c.values.format;
  t.print(fmt !== undefined ? objs.map((o) => goTemplate(fmt, o)).join('\n') : JSON.stringify(objs, null, 4));
  return 0;
}

/** The containers ps lists, newest first: running ones, or all. */
function containers(t: NodeTools, all: boolean): ContainerRecord[] {
  return [...t.store.containers.values()]
    .filter((c) => all || t.state(c) === 'Running')
    .sort((a, b) => b.createdAt - a.createdAt);
}

type Run = (t: NodeTools, c: NodeToolsCommand) => number | Promise<number>;

const RUN: Record<Tool, Record<string, Run>> = {
  crictl: {
    ps: crictlPs,
    pods: crictlPods,
    inspect: crictlInspect,
    inspectp: crictlInspect,
    exec: (t, c) => t.exec(c.args[0]!, c.payload, c.values.tty ?? false),
    logs: (t, c) => t.logs(c.args[0]!, c.values),
    images: async (t, c) => (t.printLines(await images('crictl', { ...c.values, filter: c.args[0] })), 0),
  },
  docker: {
    ps: dockerPs,
    inspect: dockerInspectCommand,
    exec: (t, c) => t.exec(c.args[0]!, c.payload, c.values.tty ?? false),
    logs: (t, c) => t.logs(c.args[0]!, c.values),
    images: async (t, c) => (t.printLines(await images('docker', { ...c.values, filter: c.args[0] })), 0),
    network: dockerNetworkInspect,
  },
};

/**
 * Runs one command line; returns its exit status: 0; 1 when it could not be done (one line on
 * stderr); 2 when the command line is wrong, checked before the node's records are opened; exec's
 * own status once the command runs.
 */
export async function nodeTools(argv: string[], io: NodeToolsIo = PROCESS_IO): Promise<number> {
  let c: NodeToolsCommand;
  try {
    c = parseNodeToolsCommand(argv);
  } catch (err) {
    if (err instanceof HelpRequest || err instanceof ToolHelp) {
      io.out(`${err.usage}\n`);
      return 0;
    }
    if (err instanceof UsageError) {
      // As docker says it: the problem, then where the usage is (not the whole of it).
      const tool = argv[1] === 'crictl' || argv[1] === 'docker' ? argv[1] : undefined;
      io.err(
        tool
          ? `${err.message}\nSee '${tool}${err.command ? ` ${err.command}` : ''} --help'.\n`
          : `${err.message}\n${err.usage}\n`,
      );
      return 2;
    }
    throw err;
  }
  try {
    return await RUN[c.tool][c.command]!(new NodeTools(c.stateDir, io), c);
  } catch (err) {
    // Could not be done (no such container, an unreadable record): one line, exit 1.
    io.err(`${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
