// The server's implementation of every call in common/ui-contract.ts, over injected parts.
import { identifyNamespace } from '../common/lab-names.js';
import { ValidationError } from '../common/errors.js';
import type { CallName, CallRequest, CallResponse, SessionInfo } from '../common/ui-contract.js';
import type { LabNamespaces } from './lab-namespaces.js';
import type { RunCommand } from './run-command.js';
import type { TerminalHost } from './terminals/terminal-host.js';
import { planShell } from './terminals/shell-plan.js';
import { nodeInitPid } from '../runtime/cri/node-marks.js';
import type { TopologySource } from './topology/kernel-topology.js';
import { readDeviceDetails } from './topology/device-details.js';
import { parseLinks } from './topology/ip-json.js';
import { readIptables } from './iptables/iptables-reader.js';
import { NoRuleFormats, type RuleFormatSource } from './iptables/rule-formats.js';
import { NoCluster, type ClusterSource } from './cluster/cluster-source.js';
import { GuideUnavailable, type GuideService } from './guide/guide-service.js';
import { noPathTracer, type PathHandlers } from './path/path-handlers.js';
import type { LearnerStore } from './learner/learner-store.js';
import type { ContainerTerminals } from './terminals/container-terminals.js';

export type UiHandlers = { [K in CallName]: (req: CallRequest<K>) => Promise<CallResponse<K>> };

export interface HandlerDeps {
  session: SessionInfo;
  namespaces: LabNamespaces;
  terminals: TerminalHost;
  topology: TopologySource;
  run: RunCommand;
  env: Record<string, string | undefined>;
  /** The path tracer (server/path/); absent in setups that do not trace (benchmarks). */
  path?: PathHandlers;
  /** The cluster tables (server/cluster/); absent: calls answer that no apiserver is configured. */
  cluster?: ClusterSource;
  /** The lab guide (server/guide/); absent: its calls answer that there is none. */
  guide?: GuideService;
  /** kube-proxy rule formats rendered from the apiserver's Services (iptables.render). */
  ruleFormats?: RuleFormatSource;
  /** native-scripts/lab-exec.sh: lab terminals start inside the lab's cgroup (its mark). */
  labExec?: string;
  /** The lab screen's per-user memory (server/learner/); absent: its calls answer unavailable. */
  learner?: LearnerStore;
  /** Container terminals through pods/exec and the kubelet switch (need the lab's apiserver). */
  containers?: ContainerTerminals;
}

export function createHandlers(d: HandlerDeps): UiHandlers {
  const guide = (): GuideService => {
    if (!d.guide) throw new GuideUnavailable('no guided labs in this setup');
    return d.guide;
  };
  const learner = (): LearnerStore => {
    if (!d.learner) throw new GuideUnavailable('no learner state in this setup');
    return d.learner;
  };
  const containers = (): ContainerTerminals => {
    if (!d.containers) throw new ValidationError('terminal.exec', 'no apiserver configured for this UI server');
    return d.containers;
  };
  return {
    ...(d.path ?? noPathTracer()),
    'learner.get': async () => learner().get(),
    'learner.prefs': async (p) => learner().prefs(p),
    'learner.progress': async ({ lab, progress }) => learner().progress(lab, progress),
    'layout.save': async ({ key, positions }) => ({ saved: learner().layout(key, positions) }),
    'guide.activity': async () => ({ activity: d.guide?.current() ?? null }),
    'cluster.get': async ({ kind, namespace, name }) => ({
      yaml: (d.cluster ?? new NoCluster('no apiserver configured for this UI server')).yaml(kind, namespace, name),
    }),
    'iptables.get': async ({ namespace, tables }) =>
      readIptables(d.run, await d.namespaces.require(namespace, 'iptables.get namespace'), tables),
    'iptables.render': async ({ namespace, format }) => {
      const ns = await d.namespaces.require(namespace, 'iptables.render namespace');
      const id = identifyNamespace(d.namespaces.prefix, ns);
      if (id.kind !== 'node')
        throw new ValidationError('iptables.render namespace', `${ns} is not a node (kube-proxy runs on nodes)`);
      return (d.ruleFormats ?? new NoRuleFormats('no apiserver configured for this UI server')).render(
        id.label,
        format,
      );
    },
    'session.info': async () => d.session,
    'namespaces.list': async () =>
      (await d.namespaces.list()).map((name) => {
        const { kind, label } = identifyNamespace(d.namespaces.prefix, name);
        return { name, kind, label };
      }),
    'terminal.open': async ({ namespace, cols, rows, lab }) => {
      const ns = await d.namespaces.require(namespace, 'terminal.open namespace');
      const pausePid =
        identifyNamespace(d.namespaces.prefix, ns).kind === 'pod' ? await d.namespaces.pausePid(ns) : undefined;
      const nodeInit = identifyNamespace(d.namespaces.prefix, ns).kind === 'node' ? nodeInitPid(ns) : undefined;
      const plan = planShell({
        prefix: d.namespaces.prefix,
        namespace: ns,
        pausePid,
        ...(nodeInit ? { nodeInitPid: nodeInit } : {}),
        baseEnv: d.env,
        ...(d.labExec ? { labExec: d.labExec } : {}),
      });
      // A guided lab's terminal sees the lab's variables ($CONTAINER…), as its scripts do.
      const env = lab ? { ...guide().variables(lab), ...plan.env } : plan.env;
      return d.terminals.open({ namespace: ns, title: plan.title, argv: plan.argv, env, cols, rows });
    },
    'guide.list': async () => guide().list(),
    'guide.show': async ({ id }) => guide().show(id),
    'guide.start': async ({ id }) => ({ ok: true as const, ms: await guide().start(id) }),
    'guide.check': async ({ id, step }) => guide().check(id, step),
    'guide.solve': async ({ id, step }) => guide().solve(id, step),
    'guide.replay': async ({ id }) => guide().replay(id),
    'guide.record.start': async ({ id }) => guide().recordStart(id),
    'guide.record.stop': async () => guide().recordStop(),
    'guide.record.save': async ({ id, title }) => guide().recordSave(id, title),
    'terminal.exec': async ({ namespace, pod, container, cols, rows }) =>
      containers().open(namespace, pod, container, cols, rows),
    'node.kubelet': async ({ node, action }) => containers().kubelet(node, action),
    'terminal.list': async () => d.terminals.list(),
    'terminal.close': async ({ id }) => ({ closed: await d.terminals.close(id) }),
    'topology.get': async () => (await d.topology.read()).graph,
    'device.details': async ({ namespace, ifname }) => {
      const ns = await d.namespaces.require(namespace, 'device.details namespace');
      if (ifname !== undefined) {
        // The name must be a device that exists there now, not just a well-formed string.
        const r = await d.run(['ip', '-j', '-n', ns, 'link', 'show'], { timeoutMs: 5000 });
        const names = r.exitCode === 0 ? parseLinks(JSON.parse(r.stdout) as unknown[]).map((l) => l.ifname) : [];
        if (!names.includes(ifname))
          throw new ValidationError('device.details ifname', `no device '${ifname}' in namespace ${ns}`);
      }
      return readDeviceDetails(d.run, ns, ifname);
    },
  };
}
