// The kubelet's port on the node network, and the apiserver's way to it. Nothing listens on a host
// address (DESIGN.md), so each node namespace runs two socat relays: one publishes the kubelet's
// Unix socket on <node address>:10250, the other accepts the apiserver's connections on a Unix
// socket in the node's state folder and opens them as TCP from inside the node namespace to
// <node address>:10250 — so every apiserver → kubelet connection crosses the node's real port.
// Other lab addresses (services/proxy to a pod) are dialled by a socat started per connection in
// a node's namespace.
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { Duplex } from 'node:stream';
import { rmSync } from 'node:fs';
import type { HostDriver, ProcessRef } from '../../../runtime/host/host-driver.js';

export const KUBELET_PORT = 10250;

export interface RelayNode {
  name: string;
  netns: string;
  address: string;
  /** The kubelet server's socket. */
  serverSocket: string;
  /** The apiserver's dial socket. */
  dialSocket: string;
}

export class NodePortRelay {
  private readonly procs = new Map<string, ProcessRef[]>();

  constructor(
    private readonly driver: HostDriver,
    private readonly logFile: (netns: string) => string,
  ) {}

  async start(n: RelayNode): Promise<void> {
    await this.stop(n.name);
    rmSync(n.dialSocket, { force: true });
    const refs: ProcessRef[] = [];
    const listen = await this.driver.script('proc-start.sh', [
      n.netns,
      this.logFile(n.netns),
      '--',
      'socat',
      '-b',
      '131072',
      `TCP-LISTEN:${KUBELET_PORT},bind=${n.address},fork,reuseaddr,nodelay`,
      `UNIX-CONNECT:${n.serverSocket}`,
    ]);
    refs.push({ pid: listen.json.pid as number, startTime: listen.json.startTime as number });
    const dial = await this.driver.script('proc-start.sh', [
      n.netns,
      this.logFile(n.netns),
      '--',
      'socat',
      '-b',
      '131072',
      `UNIX-LISTEN:${n.dialSocket},fork,mode=600`,
      `TCP:${n.address}:${KUBELET_PORT},nodelay`,
    ]);
    refs.push({ pid: dial.json.pid as number, startTime: dial.json.startTime as number });
    this.procs.set(n.name, refs);
    // socat makes its socket a moment after it starts.
    for (let i = 0; i < 100; i++) {
      if (await this.driver.exec(n.netns, ['test', '-S', n.dialSocket]).then((r) => r.exitCode === 0)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(name: string): Promise<void> {
    const refs = this.procs.get(name);
    this.procs.delete(name);
    if (refs?.length)
      await this.driver
        .script(
          'proc-stop.sh',
          refs.map((p) => `${p.pid}:${p.startTime}`),
        )
        .catch(() => undefined);
  }

  async stopAll(): Promise<void> {
    for (const name of [...this.procs.keys()]) await this.stop(name);
  }
}

/** The apiserver's dialer: a node's kubelet through its dial socket, other addresses via socat. */
export function labDialer(nodes: () => RelayNode[]): (host: string, port: number) => Duplex {
  return (host, port) => {
    const all = nodes();
    const node = all.find((n) => n.address === host);
    if (node && port === KUBELET_PORT) return createConnection(node.dialSocket);
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(host) || !Number.isInteger(port) || port < 1 || port > 65535)
      throw new Error(`cannot dial ${host}:${port}`);
    const via = all[0];
    if (!via) throw new Error('no node to dial from');
    const child = spawn('ip', ['netns', 'exec', via.netns, 'socat', 'STDIO', `TCP:${host}:${port}`], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const d = new Duplex({
      write(chunk, _e, cb) {
        child.stdin.write(chunk, cb);
      },
      final(cb) {
        child.stdin.end();
        cb();
      },
      read() {
        child.stdout.resume();
      },
      destroy(err, cb) {
        child.kill('SIGKILL');
        cb(err);
      },
    });
    child.stdin.on('error', () => undefined);
    child.stdout.on('data', (b: Buffer) => {
      if (!d.push(b)) child.stdout.pause();
    });
    child.stdout.on('end', () => d.push(null));
    return d;
  };
}
