// A throw-away "node" for kube-proxy tests: a node namespace with a cni0 bridge, pod namespaces
// on veths (each may run a tiny HTTP server answering its name), and an outside client on the
// node's eth0. Everything is named with a test prefix (kw-t<6 hex>-) and removed by dispose().
import { execa, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';

export interface PodSpec {
  name: string;
  ip: string;
  /** Serve HTTP on this port, answering the pod's name. */
  httpPort?: number;
  /** Answer every UDP datagram on this port with the pod's name. */
  udpPort?: number;
}

export class NetnsLab {
  readonly prefix = `kw-t${randomBytes(3).toString('hex')}-`;
  private readonly namespaces: string[] = [];
  private readonly servers: ResultPromise[] = [];

  ns(name: string): string {
    return `${this.prefix}${name}`;
  }

  async run(argv: string[], opts: { input?: string } = {}): Promise<string> {
    const r = await execa(argv[0]!, argv.slice(1), { ...opts, reject: false });
    if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
    return r.stdout;
  }

  /** Runs argv inside namespace `name`, returning exit code and output (never throws on failure). */
  async exec(name: string, argv: string[]) {
    return execa('ip', ['netns', 'exec', this.ns(name), ...argv], { reject: false });
  }

  async addNamespace(name: string): Promise<string> {
    const ns = this.ns(name);
    await this.run(['ip', 'netns', 'add', ns]);
    this.namespaces.push(ns);
    await this.run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** The node: cni0 with the gateway address of its pod subnet, forwarding on. */
  async addNode(name: string, cni0: string): Promise<string> {
    const ns = await this.addNamespace(name);
    await this.run(['ip', '-n', ns, 'link', 'add', 'cni0', 'type', 'bridge']);
    await this.run(['ip', '-n', ns, 'addr', 'add', cni0, 'dev', 'cni0']);
    await this.run(['ip', '-n', ns, 'link', 'set', 'cni0', 'up']);
    await this.run(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    return ns;
  }

  /** A pod on the node's cni0 (the veth is created inside the node namespace, never in the host's). */
  async addPod(node: string, index: number, pod: PodSpec, gateway: string): Promise<string> {
    const ns = await this.addNamespace(pod.name);
    const nodeNs = this.ns(node);
    const veth = `veth${index}`;
    await this.run(['ip', '-n', nodeNs, 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await this.run(['ip', '-n', nodeNs, 'link', 'set', veth, 'master', 'cni0', 'up']);
    // As flannel's CNI config does (hairpinMode: true): a pod that reaches itself through a
    // service gets its packet back out of the port it came in on.
    await this.run(['ip', '-n', nodeNs, 'link', 'set', veth, 'type', 'bridge_slave', 'hairpin', 'on']);
    await this.run(['ip', '-n', ns, 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0']);
    await this.run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
    await this.run(['ip', '-n', ns, 'route', 'add', 'default', 'via', gateway]);
    if (pod.httpPort)
      await this.serve(
        pod.name,
        `require('http').createServer((q, s) => s.end(process.argv[1] + '\\n')).listen(${pod.httpPort}, '0.0.0.0', () => console.log('ready'))`,
      );
    if (pod.udpPort)
      await this.serve(
        pod.name,
        `const s = require('dgram').createSocket('udp4'); s.on('message', (m, r) => s.send(process.argv[1], r.port, r.address)); s.bind(${pod.udpPort}, '0.0.0.0', () => console.log('ready'))`,
      );
    return ns;
  }

  /** An outside host on the node's eth0, as a client of NodePorts. */
  async addOutside(node: string, name: string, nodeAddr: string, outsideAddr: string): Promise<string> {
    const ns = await this.addNamespace(name);
    const nodeNs = this.ns(node);
    await this.run(['ip', '-n', nodeNs, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await this.run(['ip', '-n', nodeNs, 'addr', 'add', nodeAddr, 'dev', 'eth0']);
    await this.run(['ip', '-n', nodeNs, 'link', 'set', 'eth0', 'up']);
    await this.run(['ip', '-n', ns, 'addr', 'add', outsideAddr, 'dev', 'eth0']);
    await this.run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
    return ns;
  }

  private async serve(pod: string, script: string): Promise<void> {
    const child = execa('ip', ['netns', 'exec', this.ns(pod), process.execPath, '-e', script, pod], {
      reject: false,
      buffer: false,
    });
    this.servers.push(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server in ${pod} did not start`)), 10000);
      child.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server in ${pod} exited ${code}`));
      });
    });
  }

  /** Sends one UDP datagram from namespace `from`, source port `sport`, and returns the answer ('' on timeout). */
  async udpAsk(from: string, sport: number, ip: string, port: number): Promise<string> {
    const script = `const s = require('dgram').createSocket('udp4'); const t = setTimeout(() => process.exit(0), 2000);
      s.on('message', (m) => { process.stdout.write(m); clearTimeout(t); s.close(); });
      s.bind(${sport}, () => s.send('q', ${port}, '${ip}'));`;
    const r = await this.exec(from, [process.execPath, '-e', script]);
    return r.stdout.trim();
  }

  /** Stops the servers and deletes every namespace this lab made (even after a failure). */
  async dispose(): Promise<void> {
    for (const s of this.servers) s.kill('SIGKILL');
    await Promise.allSettled(this.servers);
    for (const ns of this.namespaces.reverse()) {
      // Anything still running inside one of OUR namespaces is ours (the servers above).
      const pids = await execa('ip', ['netns', 'pids', ns], { reject: false });
      for (const pid of pids.stdout.split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      await execa('ip', ['netns', 'del', ns], { reject: false });
    }
    this.namespaces.length = 0;
  }
}
