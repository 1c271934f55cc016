// flanneld's miss mode, as the article describes the early vxlan backend: flannel.1 is made with
// `proxy l2miss l3miss` and app_solicit set, so the kernel asks user space (RTM_GETNEIGH, seen by
// `ip monitor neigh` as "miss …") when it lacks the peer VTEP's MAC (L3 miss) or the underlay
// address behind a MAC (L2 miss); each question is answered from the Node annotations.
import type { ChildProcess } from 'node:child_process';
import { execa } from 'execa';
import { createInterface } from 'node:readline';
import type { HostDriver } from '../../../runtime/host/host-driver.js';
import type { VtepPeer } from './flanneld.js';

/** One kernel question, parsed from an `ip monitor neigh` line. */
export type Miss = { kind: 'l3'; ip: string } | { kind: 'l2'; mac: string };

export function parseMissLine(line: string, device: string): Miss | undefined {
  const l3 = /^miss (\d+\.\d+\.\d+\.\d+) dev (\S+) /.exec(line);
  if (l3 && l3[2] === device) return { kind: 'l3', ip: l3[1]! };
  const l2 = /^miss dev (\S+) lladdr ([0-9a-f:]{17}) /.exec(line);
  if (l2 && l2[1] === device) return { kind: 'l2', mac: l2[2]! };
  return undefined;
}

export class MissResponder {
  private monitor: ChildProcess | undefined;
  /** Questions answered (the UI and tests read it). */
  answered = { l3: 0, l2: 0 };

  constructor(
    private readonly driver: HostDriver,
    private readonly netns: string,
    private readonly device: string,
    private readonly peers: () => Iterable<VtepPeer>,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<() => void> {
    // Without app_solicit the kernel resolves flannel.1 neighbours by itself and never asks.
    const r = await this.driver.exec(this.netns, [
      'sysctl',
      '-qw',
      `net.ipv4.neigh.${this.device.replace(/\./g, '/')}.app_solicit=3`,
    ]);
    if (r.exitCode !== 0) throw new Error(`app_solicit on ${this.device} in ${this.netns}: ${r.stderr.trim()}`);
    const mon = execa('ip', ['-n', this.netns, 'monitor', 'neigh'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      buffer: false,
      reject: false,
    });
    this.monitor = mon;
    // A monitor that could not start or ended early is said in the log (a spawn error had no
    // listener before and would have ended the whole cluster process).
    void mon.then((r) => {
      if (this.monitor === mon)
        this.log(`flanneld miss ${this.netns}: ip monitor ended: ${String(r.shortMessage ?? `exit ${r.exitCode}`)}`);
    });
    createInterface({ input: mon.stdout! }).on('line', (line) => {
      const miss = parseMissLine(line, this.device);
      if (miss) void this.answer(miss).catch((e) => this.log(`flanneld miss ${this.netns}: ${(e as Error).message}`));
    });
    return () => {
      mon.kill('SIGTERM');
      this.monitor = undefined;
    };
  }

  private async answer(miss: Miss): Promise<void> {
    const peers = [...this.peers()];
    if (miss.kind === 'l3') {
      const p = peers.find((x) => x.vtep === miss.ip);
      if (!p) return; // not a VTEP we know: the kernel gives up, as with flannel
      await this.driver.exec(this.netns, [
        'ip',
        'neigh',
        'replace',
        p.vtep,
        'lladdr',
        p.mac,
        'dev',
        this.device,
        'nud',
        'reachable',
      ]);
      this.answered.l3++;
      this.log(`flanneld ${this.netns}: L3 miss ${miss.ip} → ${p.mac}`);
    } else {
      const p = peers.find((x) => x.mac === miss.mac);
      if (!p) return;
      await this.driver.exec(this.netns, [
        'bridge',
        'fdb',
        'replace',
        p.mac,
        'dev',
        this.device,
        'dst',
        p.publicIP,
        'self',
      ]);
      this.answered.l2++;
      this.log(`flanneld ${this.netns}: L2 miss ${miss.mac} → ${p.publicIP}`);
    }
  }
}
