// `crictl` and `docker` on a node, the subsets the article uses to look at containers: they read
// the node runtime's own records (the same files the kubelet's runtime writes) and run
// `crun exec` for exec, so what they show is what runs. Installed into each node container's
// PATH as small wrappers (native-scripts/node-container.sh). Usage:
//   node-tools.js STATE_DIR crictl ps|pods|inspect|inspectp|exec|logs|images …
//   node-tools.js STATE_DIR docker ps|inspect|exec|logs|images|network inspect …
import { execaSync } from 'execa';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CriStore, type ContainerRecord, type SandboxRecord } from '../runtime/cri/cri-store.js';
import { criToText } from '../runtime/cri/container-log.js';
import { openImageService } from '../runtime/images/local-image-service.js';
import { imageStoreDir } from '../runtime/images/oci-store.js';
import { pickOciRuntime } from '../runtime/cri/oci-runtime.js';

type Tool = 'crictl' | 'docker';

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

class NodeTools {
  readonly store: CriStore;
  constructor(readonly stateDir: string) {
    this.store = new CriStore(join(stateDir, 'cri'));
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

  /** `exec [-i] [-t] ID CMD...` */
  exec(args: string[]): number {
    const i = args.findIndex((a) => !a.startsWith('-'));
    if (i < 0) throw new Error('usage: exec [-it] ID COMMAND...');
    const id = args[i]!;
    const rest = args.slice(i + 1);
    if (rest[0] === '--') rest.shift();
    const tty = args.slice(0, i).some((f) => /^-[a-z]*t/.test(f) || f === '--tty');
    const c = this.find(id);
    const rt = pickOciRuntime();
    const user = c.kind === 'container' ? ['--user', `${c.rec.user.uid}:${c.rec.user.gid}`] : [];
    const r = execaSync(
      rt,
      ['--root', join(this.stateDir, 'oci'), 'exec', ...user, ...(tty ? ['--tty'] : []), c.rec.id, ...rest],
      { stdio: 'inherit', reject: false },
    );
    return r.exitCode ?? 1;
  }

  logs(id: string): number {
    const c = this.find(id);
    if (c.kind !== 'container') throw new Error(`${id} is a pod sandbox: it writes no log`);
    process.stdout.write(criToText(readFileSync(c.rec.logPath, 'utf8'), false));
    return 0;
  }
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

async function images(tool: Tool): Promise<string> {
  const svc = await openImageService({ dir: imageStoreDir() });
  const rows = [
    tool === 'crictl' ? ['IMAGE', 'TAG', 'IMAGE ID', 'SIZE'] : ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'],
  ];
  for (const i of await svc.list()) {
    for (const ref of i.refs) {
      const m = /^(.*):([^:/]+)$/.exec(ref);
      const size = `${(i.size / 1e6).toFixed(1)}MB`;
      const short = i.id.replace(/^sha256:/, '').slice(0, tool === 'crictl' ? 13 : 12);
      rows.push(
        tool === 'crictl'
          ? [m?.[1] ?? ref, m?.[2] ?? '<none>', short, size]
          : [m?.[1] ?? ref, m?.[2] ?? '<none>', short, '-', size],
      );
    }
  }
  return table(rows);
}

export async function nodeTools(argv: string[]): Promise<number> {
  const [stateDir, tool, cmd, ...args] = argv as [string, Tool, string, ...string[]];
  const t = new NodeTools(stateDir);
  const all = args.includes('-a') || args.includes('--all');
  const cs = [...t.store.containers.values()]
    .filter((c) => all || t.state(c) === 'Running')
    .sort((a, b) => b.createdAt - a.createdAt);
  const pod = (c: ContainerRecord) => t.store.sandboxes.get(c.podSandboxId);
  const out = (s: string) => console.log(s);
  if (tool === 'crictl') {
    switch (cmd) {
      case 'ps':
        out(
          table([
            ['CONTAINER', 'IMAGE', 'CREATED', 'STATE', 'NAME', 'ATTEMPT', 'POD ID', 'POD'],
            ...cs.map((c) => [
              c.id.slice(0, 13),
              c.imageId.replace(/^sha256:/, '').slice(0, 13),
              ago(c.createdAt),
              t.state(c),
              c.name,
              c.annotations['io.kubernetes.container.restartCount'] ?? '0',
              c.podSandboxId.slice(0, 13),
              pod(c)?.name ?? '',
            ]),
          ]),
        );
        return 0;
      case 'pods':
        out(
          table([
            ['POD ID', 'CREATED', 'STATE', 'NAME', 'NAMESPACE', 'ATTEMPT', 'RUNTIME'],
            ...[...t.store.sandboxes.values()].map((s) => [
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
      case 'inspect':
      case 'inspectp': {
        const f = t.find(args[0] ?? '');
        const info = dockerInspect(t, f.rec.id);
        out(
          JSON.stringify(
            {
              status: { ...f.rec, state: (info.State as { Status: string }).Status },
              info: {
                pid: (info.State as { Pid: number }).Pid,
                runtimeSpec: JSON.parse(
                  readFileSync(
                    join(stateDir, 'cri', f.kind === 'sandbox' ? 'sandboxes' : 'containers', f.rec.id, 'config.json'),
                    'utf8',
                  ),
                ),
              },
            },
            null,
            2,
          ),
        );
        return 0;
      }
      case 'exec':
        return t.exec(args);
      case 'logs':
        return t.logs(args[0] ?? '');
      case 'images':
        out(await images('crictl'));
        return 0;
    }
  } else {
    switch (cmd) {
      case 'ps': {
        const rows = [['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES']];
        for (const c of cs)
          rows.push([
            c.id.slice(0, 12),
            c.image,
            JSON.stringify(c.argv.join(' ').slice(0, 20)),
            ago(c.createdAt),
            t.state(c) === 'Running'
              ? `Up ${ago(c.startedAt ?? c.createdAt).replace(' ago', '')}`
              : `Exited (${t.exitCode(c) ?? 0})`,
            '',
            dockerName(c, t.store),
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
        out(table(rows));
        return 0;
      }
      case 'inspect': {
        const fi = args.indexOf('-f') >= 0 ? args.indexOf('-f') : args.indexOf('--format');
        const fmt = fi >= 0 ? args[fi + 1] : undefined;
        const ids = args.filter((a, i) => !a.startsWith('-') && (fi < 0 || i !== fi + 1));
        const objs = ids.map((id) => dockerInspect(t, id));
        out(fmt ? objs.map((o) => goTemplate(fmt, o)).join('\n') : JSON.stringify(objs, null, 4));
        return 0;
      }
      case 'exec':
        return t.exec(args);
      case 'logs':
        return t.logs(args[args.length - 1] ?? '');
      case 'images':
        out(await images('docker'));
        return 0;
      case 'network':
        if (args[0] === 'inspect') {
          const want = args[1] ?? '';
          const id = noneNetworkId(stateDir);
          if (want !== 'none' && !(want.length >= 3 && id.startsWith(want))) {
            console.error(`Error: No such network: ${want} (this node's pods are on network none, ${id.slice(0, 12)})`);
            return 1;
          }
          const pods = [...t.store.sandboxes.values()].filter((s) => s.state === 'SANDBOX_READY');
          out(
            JSON.stringify(
              [
                {
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
                },
              ],
              null,
              4,
            ),
          );
          return 0;
        }
    }
  }
  console.error(
    `${tool}: '${cmd ?? ''}' is not one of the commands this node has (${tool === 'crictl' ? 'ps, pods, inspect, inspectp, exec, logs, images' : 'ps, inspect, exec, logs, images, network inspect'})`,
  );
  return 1;
}
