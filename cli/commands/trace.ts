// `kubewire trace FROM TO [--probe] [--capture DIR] [--json]`: the path tracer on the command line.
// FROM is a node, a [namespace/]pod, gateway or internet; TO a pod IP, IP:port[/udp] (service or
// NodePort) or a name. Prints each IP hop with its L2/VXLAN/NAT detail; exits 1 when the packet is
// not delivered (or the probe fails), so a lab's check can use it.
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { scriptsDir } from '../../runtime/project-root.js';
import { KubewireError, ValidationError } from '../../common/errors.js';
import type { L2Step, PathTrace } from '../../common/path-model.js';
import { LabNames } from '../../runtime/lab/lab-names.js';
import { loadState, podKey } from '../../runtime/lab/lab-state.js';
import { LabNamespaces } from '../../server/lab-namespaces.js';
import { CaptureStore } from '../../server/path/capture-store.js';
import { PathService } from '../../server/path/path-service.js';
import { runCommand } from '../../server/run-command.js';
import { badArgument, badFlag } from '../args.js';
import { parsePathTarget } from '../../common/path-target.js';
import { labCommandSpec, labTargetArgument, makeRuntime, parseLabOptions, resolveLabName } from './lab-context.js';

const TRACE = labCommandSpec({
  command: 'trace',
  usage: `usage: kubewire trace FROM TO [--probe] [--capture DIR] [--json]
  a packet's path hop by hop from the kernel's state (routes, ARP/FDB, VXLAN, iptables)
  FROM              a node, a [namespace/]pod, gateway or internet
  TO                a pod IP, IP:port[/udp] (service or NodePort) or a name
  --probe           also send the packet (and a traceroute) to confirm the hops
  --capture DIR     capture the packets on every hop into pcap files in DIR`,
  flags: { probe: { type: 'boolean' }, capture: { type: 'string' } },
  positionals: { min: 2, max: 2 },
});

export async function trace(args: string[]): Promise<number> {
  const o = parseLabOptions(TRACE, args);
  const [from, to] = o.rest as [string, string];
  const probe = o.flags.probe ?? false;
  const json = o.json;
  const captureDir = o.flags.capture;
  if (captureDir === '') throw badFlag(TRACE, 'capture', 'needs a folder');
  labTargetArgument(TRACE, 'FROM', from, ['gateway', 'internet']);
  try {
    parsePathTarget(to, 'TO');
  } catch (err) {
    if (err instanceof ValidationError) throw badArgument(TRACE, 'TO', err.problem);
    throw err;
  }
  const lab = resolveLabName(o);
  const { paths } = makeRuntime(o, lab);
  const state = await loadState(paths.state);
  if (!state) throw new KubewireError(`lab ${lab} is not built (no ${paths.state}; kubewire up builds it)`);
  const names = new LabNames(state.prefix);
  let source: string;
  if (from === 'gateway' || from === 'internet') source = names[from];
  else if (state.topology.nodes.some((n) => n.name === from)) source = names.node(from);
  else {
    const pod = state.pods[from.includes('/') ? from : podKey('default', from)];
    if (!pod)
      throw new ValidationError(
        `trace ${from}`,
        `no node or pod of that name in lab ${lab} (known: ${[...state.topology.nodes.map((n) => n.name), ...Object.keys(state.pods)].join(', ')})`,
      );
    source = pod.netns;
  }
  const namespaces = new LabNamespaces(state.prefix, { netnsDir: '/run/netns', procDir: '/proc', run: runCommand });
  const captures = new CaptureStore({
    now: () => performance.now(),
    keep: 1,
    log: (l) => console.error(l),
    labExec: join(scriptsDir(), 'lab-exec.sh'),
  });
  try {
    const tracer = new PathService({ namespaces, run: runCommand, captures, now: () => performance.now() });
    let t: PathTrace;
    const files: string[] = [];
    if (captureDir) {
      const c = await tracer.capture({ source, destination: to, packets: 20, seconds: 5 });
      await mkdir(captureDir, { recursive: true });
      for (const f of c.files) {
        await copyFile(captures.path(c.id, f.name)!, join(captureDir, f.name));
        files.push(`${join(captureDir, f.name)}  ${f.packets} packets  ${f.role}  (${f.filter})`);
      }
      t = c.trace;
    } else {
      t = await tracer.trace({ source, destination: to, probe });
    }
    if (json) console.log(JSON.stringify(t));
    else console.log([...describe(t), ...files.map((f) => `pcap ${f}`)].join('\n'));
    const ok = t.outcome === 'delivered' && (!t.probe || t.probe.reached);
    if (!ok)
      console.error(
        `kubewire trace: ${t.outcome}${t.probe && !t.probe.reached ? `; ${t.probe.summary}` : ''}${t.notes.length ? `: ${t.notes.join('; ')}` : ''}`,
      );
    return ok ? 0 : 1;
  } finally {
    await captures.dispose();
  }
}

function describe(t: PathTrace): string[] {
  const d = t.destination;
  const lines = [
    `${t.source.label} ${t.source.address} → ${d.ip}${d.port ? `:${d.port}` : ''} (${d.protocol}${d.resolvedBy ? `, ${d.resolvedBy}` : ''}): ${t.outcome}, ${t.hops.length} hop${t.hops.length === 1 ? '' : 's'}, derived in ${t.timing.deriveMs} ms`,
  ];
  if (t.source.route) lines.push(`    out ${t.source.outDev}: ${t.source.route}`);
  for (const n of t.source.nat)
    lines.push(
      `    ${n.action} (${n.hook}) → ${n.after.src} → ${n.after.dst}${n.after.dport ? `:${n.after.dport}` : ''}`,
    );
  for (const h of t.hops) {
    const mark = h.confirmed === null ? '' : h.confirmed ? '  ✓ traceroute' : '  ✗ traceroute';
    lines.push(
      `${String(h.ttl).padStart(2)}  ${h.address.padEnd(15)} ${h.label}  in ${h.inDev}${h.outDev ? ` → out ${h.outDev}` : ' (destination)'}${mark}`,
    );
    for (const s of h.arrival) if (s.kind === 'vxlan-encap' || s.kind === 'bridge') lines.push(`      ${step(s)}`);
    if (h.role === 'router' && h.route) lines.push(`      route: ${h.route}`);
    for (const n of h.nat) {
      lines.push(
        `      ${n.action} (${n.hook}) ${n.before.src} → ${n.before.dst}${n.before.dport ? `:${n.before.dport}` : ''}  ⇒  ${n.after.src} → ${n.after.dst}${n.after.dport ? `:${n.after.dport}` : ''}`,
      );
      if (n.candidates)
        lines.push(
          `        endpoints: ${n.candidates.map((c) => `${c.endpoint} ${(c.probability * 100).toFixed(0)}%`).join(', ')}; followed ${n.chosenBy ?? ''}`,
        );
    }
    if (h.filter) lines.push(`      ${h.filter.verdict} (filter ${h.filter.hook}): ${h.filter.rules.at(-1) ?? ''}`);
  }
  for (const n of t.notes) lines.push(`note: ${n}`);
  if (t.probe)
    lines.push(
      `probe: ${t.probe.summary}${t.probe.traceroute.length ? `; traceroute: ${t.probe.traceroute.map((x) => x.address ?? '*').join(' ')}` : ''}`,
    );
  return lines;
}

function step(s: L2Step): string {
  if (s.kind === 'vxlan-encap')
    return `VXLAN ${s.dev} VNI ${s.vni}: outer ${s.outerSrc} → ${s.outerDst} UDP ${s.udpPort} (neigh ${s.neighbour}; fdb ${s.fdb})`;
  if (s.kind === 'bridge') return `${s.bridge} ${s.mac ?? ''} → ${s.port === 'local' ? 'up to IP' : s.port}`;
  return s.kind;
}
