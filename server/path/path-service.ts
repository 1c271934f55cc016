// The path tracer behind the UI calls: validates the source (a namespace of this lab) and the
// destination (strictly parsed, names resolved with the source's own resolver), derives the path
// from the kernel, and, when asked, confirms it with a real probe and captures on every hop.
import { ValidationError } from '../../common/errors.js';
import { identifyNamespace } from '../../common/lab-names.js';
import type { PathCapture, PathProtocol, PathTrace } from '../../common/path-model.js';
import { parsePathTarget } from '../../common/path-target.js';
import type { LabNamespaces } from '../lab-namespaces.js';
import type { RunCommand } from '../run-command.js';
import type { CaptureStore } from './capture-store.js';
import { derivePath } from './derive-path.js';
import { KernelPathView } from './kernel-view.js';
import { confirmHops, conntrackEndpoint, probeReach, probeTraceroute } from './probe.js';
import { resolveInNamespace } from './resolve-name.js';

export interface PathRequest {
  source: string;
  destination: string;
}

export interface PathServiceDeps {
  namespaces: LabNamespaces;
  run: RunCommand;
  captures: CaptureStore;
  now: () => number;
  etcNetns?: string;
}

interface ResolvedRequest {
  source: string;
  destination: PathTrace['destination'];
  resolveMs: number;
}

export class PathService {
  constructor(private readonly d: PathServiceDeps) {}

  async trace(req: PathRequest & { probe: boolean }): Promise<PathTrace> {
    const r = await this.resolve(req, 'path.trace');
    let trace = await this.derive(r);
    if (!req.probe || trace.outcome === 'local') return trace;
    const t0 = this.d.now();
    const reach = await probeReach(this.d.run, r.source, r.destination.ip, r.destination.port, r.destination.protocol);
    // A service: conntrack in the namespace that did the DNAT says which endpoint this connection got.
    const dnat = [trace.source.nat, ...trace.hops.map((h) => h.nat)]
      .flat()
      .find((n) => n.action === 'DNAT' && n.candidates);
    let chosenBy: string | undefined;
    if (dnat?.candidates && reach.reached) {
      const endpoint = await conntrackEndpoint(this.d.run, dnat.namespace, dnat.before.dst, reach.localPort);
      const idx = endpoint
        ? dnat.candidates.findIndex((c) => c.endpoint === endpoint || c.endpoint.split(':')[0] === endpoint)
        : -1;
      if (idx >= 0) {
        trace = await this.derive(r, () => idx);
        chosenBy = `conntrack in ${identifyNamespace(this.d.namespaces.prefix, dnat.namespace).label}: the probe's connection went to ${endpoint}`;
      }
    }
    const tr = await probeTraceroute(
      this.d.run,
      r.source,
      r.destination.ip,
      r.destination.port,
      r.destination.protocol,
      trace.hops.length + 2,
    );
    confirmHops(trace, tr.hops);
    if (chosenBy)
      for (const n of [trace.source.nat, ...trace.hops.map((h) => h.nat)].flat())
        if (n.candidates) n.chosenBy = chosenBy;
    if (dnat?.candidates && dnat.candidates.length > 1)
      trace.notes.push(
        'each traceroute probe is a new connection that kube-proxy balances on its own, so hops past the DNAT may differ from the probe that reached the endpoint',
      );
    trace.probe = {
      commands: [...reach.commands, tr.argv],
      reached: reach.reached,
      summary: reach.summary,
      traceroute: tr.hops,
      ms: Math.round(this.d.now() - t0),
    };
    trace.timing.probeMs = trace.probe.ms;
    return trace;
  }

  async capture(req: PathRequest & { packets: number; seconds: number }): Promise<PathCapture> {
    const r = await this.resolve(req, 'path.capture');
    const trace = await this.derive(r);
    if (trace.capturePoints.length === 0)
      throw new ValidationError('path.capture', `nothing to capture: ${trace.notes.join('; ') || trace.outcome}`);
    return this.d.captures.capture(trace, {
      packets: req.packets,
      seconds: req.seconds,
      probe: async () => {
        const p = await probeReach(this.d.run, r.source, r.destination.ip, r.destination.port, r.destination.protocol);
        trace.probe = { commands: p.commands, reached: p.reached, summary: p.summary, traceroute: [], ms: 0 };
        // The capture points past a service's DNAT follow one endpoint; say so when the probe got another.
        const dnat = [trace.source.nat, ...trace.hops.map((h) => h.nat)]
          .flat()
          .find((n) => n.action === 'DNAT' && n.candidates && n.candidates.length > 1);
        if (dnat && p.reached) {
          const got = await conntrackEndpoint(this.d.run, dnat.namespace, dnat.before.dst, p.localPort);
          const followed = `${dnat.after.dst}${dnat.after.dport ? `:${dnat.after.dport}` : ''}`;
          if (got && got !== followed)
            trace.notes.push(
              `the probe's connection went to ${got}, not to ${followed} whose path the capture points after the DNAT follow; capture again to try another connection`,
            );
        }
      },
    });
  }

  private async resolve(req: PathRequest, where: string): Promise<ResolvedRequest> {
    const source = await this.d.namespaces.require(req.source, `${where}.source`);
    const target = parsePathTarget(req.destination, `${where}.destination`);
    const protocol: PathProtocol = target.port === undefined ? 'icmp' : target.udp ? 'udp' : 'tcp';
    const t0 = this.d.now();
    if (target.kind === 'ip')
      return {
        source,
        destination: { input: req.destination, ip: target.ip, protocol, ...(target.port ? { port: target.port } : {}) },
        resolveMs: 0,
      };
    const res = await resolveInNamespace(this.d.run, source, target.name, this.d.etcNetns);
    return {
      source,
      destination: {
        input: req.destination,
        ip: res.ip,
        protocol,
        resolvedBy: res.by,
        ...(target.port ? { port: target.port } : {}),
      },
      resolveMs: this.d.now() - t0,
    };
  }

  private async derive(r: ResolvedRequest, chooseEndpoint?: (c: unknown[]) => number): Promise<PathTrace> {
    // A fresh view per derivation: the kernel's state is read anew each time.
    const view = new KernelPathView(
      this.d.run,
      () => this.d.namespaces.list(),
      (ns) => ns.startsWith(this.d.namespaces.prefix),
    );
    const t = await derivePath(view, {
      prefix: this.d.namespaces.prefix,
      source: r.source,
      destination: r.destination,
      now: this.d.now,
      ...(chooseEndpoint ? { chooseEndpoint } : {}),
    });
    if (r.resolveMs) t.timing.resolveMs = Math.round(r.resolveMs);
    return t;
  }
}
