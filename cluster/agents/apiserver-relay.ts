// How pods and in-lab clients reach the apiserver without anything listening on a host address
// other than loopback: the cluster process serves a Unix socket next to the lab's state (relayed
// to 127.0.0.1:<port>), and each node namespace runs socat on <node address>:6443 forwarding to
// that socket (a file path crosses network namespaces). The `kubernetes` Service's Endpoints and
// EndpointSlice then name the nodes' addresses, as kube-apiserver's own endpoint reconciler names
// the control-plane hosts, so kube-proxy DNATs 192.168.192.1:443 to them.
import { createConnection, createServer, type Server } from 'node:net';
import { rmSync } from 'node:fs';
import type { EndpointSlice, Endpoints } from '../../common/api-types.js';
import type { HostDriver, ProcessRef } from '../../runtime/host/host-driver.js';
import { isAlreadyExists, isNotFound } from '../client/api-errors.js';
import type { KubeClient } from '../client/kube-client.js';

export const IN_LAB_APISERVER_PORT = 6443;

export class ApiserverRelay {
  private server: Server | undefined;
  private readonly relays: ProcessRef[] = [];

  constructor(
    private readonly driver: HostDriver,
    private readonly socketPath: string,
    private readonly apiserverPort: number,
    private readonly log: (line: string) => void,
  ) {}

  async start(nodes: { netns: string; address: string }[], logFile: (netns: string) => string): Promise<void> {
    rmSync(this.socketPath, { force: true });
    const server = createServer((c) => {
      const up = createConnection({ host: '127.0.0.1', port: this.apiserverPort });
      c.pipe(up).pipe(c);
      const end = () => {
        c.destroy();
        up.destroy();
      };
      c.on('error', end);
      up.on('error', end);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => resolve());
    });
    this.server = server;
    for (const n of nodes) {
      // A relay left by a previous cluster process still serves the same socket path: keep it.
      const busy = await this.driver.exec(n.netns, ['ss', '-Htln', `sport = :${IN_LAB_APISERVER_PORT}`]);
      if (busy.stdout.trim()) continue;
      const r = await this.driver.script('proc-start.sh', [
        n.netns,
        logFile(n.netns),
        '--',
        'socat',
        `TCP-LISTEN:${IN_LAB_APISERVER_PORT},bind=${n.address},fork,reuseaddr`,
        `UNIX-CONNECT:${this.socketPath}`,
      ]);
      this.relays.push({ pid: r.json.pid as number, startTime: r.json.startTime as number });
    }
    this.log(
      `apiserver reachable in the lab on ${nodes.map((n) => `${n.address}:${IN_LAB_APISERVER_PORT}`).join(', ')}`,
    );
  }

  async stop(): Promise<void> {
    if (this.relays.length)
      await this.driver
        .script(
          'proc-stop.sh',
          this.relays.splice(0).map((p) => `${p.pid}:${p.startTime}`),
        )
        .catch(() => undefined);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    rmSync(this.socketPath, { force: true });
  }
}

/** Points the `kubernetes` Service at the nodes' relays (Endpoints and its EndpointSlice). */
export async function publishKubernetesEndpoints(client: KubeClient, addresses: string[]): Promise<void> {
  const port = IN_LAB_APISERVER_PORT;
  const ep: Endpoints = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
    },
    subsets: [{ addresses: addresses.map((ip) => ({ ip })), ports: [{ name: 'https', port, protocol: 'TCP' }] }],
  } as Endpoints;
  const cur = await client.endpoints.get('kubernetes', 'default');
  await client.endpoints.update({ ...ep, metadata: { ...cur.metadata, ...ep.metadata } });
  const slice: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: {
        'kubernetes.io/service-name': 'kubernetes',
        'endpointslice.kubernetes.io/managed-by': 'kube-apiserver',
      },
    },
    addressType: 'IPv4',
    endpoints: addresses.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: 'https', port, protocol: 'TCP' }],
  } as EndpointSlice;
  try {
    await client.endpointSlices.create(slice, 'default');
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const old = await client.endpointSlices
      .get('kubernetes', 'default')
      .catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
    if (old) await client.endpointSlices.update({ ...slice, metadata: { ...old.metadata, ...slice.metadata } });
  }
}
