// The UI benchmark's kernel fixture (bench/ui.bench.ts), built straight from iproute2 with its own
// prefix: an underlay bridge, two nodes (eth0 on the underlay, cni0, flannel.1 VXLAN with
// FDB/neigh/routes to the other node) and pods on veths into cni0, wired as the article wires
// them. It measures the kernel-event → frame path alone (a namespace and veth made in a few ms,
// no kubelet in between), so its figures stay comparable run to run. Tests do not use it: they run
// on labs `kubewire up` builds (test/helpers/cli-lab.ts). `remove()` deletes only what it made.
import { execaSync } from 'execa';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { LabCgroup } from '../runtime/lab/lab-cgroup.js';

export interface MiniLabPod {
  k8sNamespace: string;
  name: string;
  node: string;
  ip: string;
}

export interface MiniLab {
  prefix: string;
  nodes: { name: string; underlayIp: string; subnet: string }[];
  pods: MiniLabPod[];
  ns(name: string): string;
  /** Adds one more pod on a node (the topology should then redraw). */
  addPod(pod: MiniLabPod): void;
  /** Deletes one of the lab's namespaces now (what a reset does to it). */
  removeNamespace(name: string): void;
  remove(): void;
}

const POD_NAMES = ['kubia-24hmb', 'kubia-7x9dq', 'kubia-m4kz2', 'kubia-p8f5w'];

function ip(args: string[]): void {
  execaSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function buildMiniLab(prefix: string, podsPerNode = 2): MiniLab {
  const ns = (n: string): string => `${prefix}${n}`;
  const created: string[] = [];
  const addNs = (name: string): void => {
    ip(['netns', 'add', name]);
    created.push(name);
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
  };
  const nodes = [
    { name: 'node1', underlayIp: '10.231.209.116', subnet: '192.168.128', mac: '02:42:c0:a8:80:00' },
    { name: 'node2', underlayIp: '10.231.209.117', subnet: '192.168.129', mac: '02:42:c0:a8:81:00' },
  ];
  const pods: MiniLabPod[] = [];
  const lab: MiniLab = {
    prefix,
    nodes: nodes.map(({ name, underlayIp, subnet }) => ({ name, underlayIp, subnet })),
    pods,
    ns,
    addPod(pod) {
      const podNs = ns(`${pod.k8sNamespace}_${pod.name}`);
      addNs(podNs);
      // Like the CNI bridge plugin: veth + 8 random hex characters.
      const veth = `veth${randomBytes(4).toString('hex')}`;
      // Both ends created in their target namespaces: a crash cannot strand one in the host.
      ip(['link', 'add', 'eth0', 'netns', podNs, 'type', 'veth', 'peer', 'name', veth, 'netns', ns(pod.node)]);
      ip(['-n', ns(pod.node), 'link', 'set', veth, 'master', 'cni0', 'up']);
      ip(['-n', podNs, 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0']);
      ip(['-n', podNs, 'link', 'set', 'eth0', 'up']);
      ip(['-n', podNs, 'route', 'add', 'default', 'via', pod.ip.replace(/\.\d+$/, '.1')]);
      pods.push({ ...pod });
    },
    removeNamespace(name) {
      if (!created.includes(name)) throw new Error(`mini lab: ${name} is not one of mine`);
      ip(['netns', 'del', name]);
      created.splice(created.indexOf(name), 1);
    },
    remove() {
      // Verified, with retries: a loaded machine can fail a spawn, and a leaked namespace must
      // not go unnoticed.
      const failures: string[] = [];
      for (const name of [...created].reverse()) {
        for (let attempt = 1; existsSync(`/run/netns/${name}`); attempt++) {
          try {
            ip(['netns', 'del', name]);
          } catch (err) {
            if (attempt >= 5) {
              failures.push(`${name}: ${String(err)}`);
              break;
            }
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100 * attempt);
          }
        }
      }
      created.length = 0;
      // Lab terminals opened on this lab ran in its cgroup (the lab mark): end and remove it too.
      const cg = LabCgroup.of(prefix);
      for (let round = 0; cg.pids().length && round < 100; round++) {
        for (const pid of cg.pids()) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
      try {
        cg.remove();
      } catch (err) {
        failures.push(`cgroup: ${String(err)}`);
      }
      if (failures.length) throw new Error(`mini lab: could not delete ${failures.join('; ')}`);
    },
  };
  try {
    addNs(ns('underlay'));
    ip(['-n', ns('underlay'), 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', ns('underlay'), 'link', 'set', 'br0', 'up']);
    for (const n of nodes) {
      addNs(ns(n.name));
      ip(['link', 'add', 'eth0', 'netns', ns(n.name), 'type', 'veth', 'peer', 'name', n.name, 'netns', ns('underlay')]);
      ip(['-n', ns('underlay'), 'link', 'set', n.name, 'master', 'br0', 'up']);
      ip(['-n', ns(n.name), 'addr', 'add', `${n.underlayIp}/24`, 'dev', 'eth0']);
      ip(['-n', ns(n.name), 'link', 'set', 'eth0', 'up']);
      ip(['-n', ns(n.name), 'link', 'add', 'cni0', 'type', 'bridge']);
      ip(['-n', ns(n.name), 'addr', 'add', `${n.subnet}.1/24`, 'dev', 'cni0']);
      ip(['-n', ns(n.name), 'link', 'set', 'cni0', 'up']);
      ip([
        '-n',
        ns(n.name),
        'link',
        'add',
        'flannel.1',
        'address',
        n.mac,
        'type',
        'vxlan',
        'id',
        '1',
        'local',
        n.underlayIp,
        'dev',
        'eth0',
        'dstport',
        '8472',
        'nolearning',
      ]);
      ip(['-n', ns(n.name), 'link', 'set', 'flannel.1', 'mtu', '1450', 'up']);
      ip(['-n', ns(n.name), 'addr', 'add', `${n.subnet}.0/32`, 'dev', 'flannel.1']);
    }
    // What flanneld programs for each other node: route, ARP entry and FDB entry (article §flannel).
    for (const n of nodes) {
      for (const o of nodes.filter((x) => x !== n)) {
        ip([
          '-n',
          ns(n.name),
          'route',
          'add',
          `${o.subnet}.0/24`,
          'via',
          `${o.subnet}.0`,
          'dev',
          'flannel.1',
          'onlink',
        ]);
        ip([
          '-n',
          ns(n.name),
          'neigh',
          'add',
          `${o.subnet}.0`,
          'lladdr',
          o.mac,
          'dev',
          'flannel.1',
          'nud',
          'permanent',
        ]);
        execaSync('bridge', ['-n', ns(n.name), 'fdb', 'append', o.mac, 'dev', 'flannel.1', 'dst', o.underlayIp], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
      }
    }
    for (const [i, n] of nodes.entries()) {
      for (let p = 0; p < podsPerNode; p++) {
        lab.addPod({
          k8sNamespace: 'default',
          name:
            POD_NAMES[(i * podsPerNode + p) % POD_NAMES.length]! +
            (i * podsPerNode + p >= POD_NAMES.length ? `-${i}${p}` : ''),
          node: n.name,
          ip: `${n.subnet}.${10 + p}`,
        });
      }
    }
  } catch (err) {
    lab.remove();
    throw err;
  }
  return lab;
}
