// The one contract between the renderer and the kubewire UI server: every HTTP call (name →
// request/response types, with a runtime validator for each request) and every WebSocket frame.
// Errors cross as data: `{ ok: false, error: { code, message } }`, never as a crash.
import { ValidationError } from './errors.js';
import { INTERFACE_NAME, NAMESPACE_NAME, type NamespaceKind } from './lab-names.js';
import type { TopologyGraph } from './topology-model.js';
import { asInteger, asNumber, asObject, asString, onlyKeys } from './validate.js';
import { pathRequestValidators, type PathCalls } from './path-contract.js';
import { iptablesRequestValidators, type IptablesCalls } from './iptables-contract.js';
import { clusterRequestValidators, type ClusterCalls, type ClusterSnapshot } from './cluster-contract.js';
import { guideRequestValidators, type GuideCalls } from './guide-contract.js';
import { learnerRequestValidators, type LearnerCalls } from './learner-contract.js';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from './names.js';

export type ErrorCode =
  'bad-request' | 'unauthorized' | 'forbidden' | 'not-found' | 'conflict' | 'unavailable' | 'internal';
export interface ErrorData {
  code: ErrorCode;
  message: string;
}
export type Result<T> = { ok: true; result: T } | { ok: false; error: ErrorData };

export const HTTP_STATUS: Record<ErrorCode, number> = {
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  unavailable: 503,
  internal: 500,
};

export interface SessionInfo {
  version: string;
  prefix: string;
  /** Whether the server runs as root (terminals and topology need it). */
  root: boolean;
}

export interface NamespaceInfo {
  name: string;
  kind: NamespaceKind;
  label: string;
}

export interface TerminalInfo {
  id: string;
  namespace: string;
  title: string;
  cols: number;
  rows: number;
  pid: number;
  createdAt: number;
  /** Exit code once the shell has ended; null while it runs. */
  exitCode: number | null;
  /** The argv that entered the namespace, as a person would type it. */
  command: string[];
  /** How the shell reaches its place, shown in the UI: `ip netns exec` straight into a namespace,
   *  or a container through the apiserver's pods/exec and the node's kubelet. */
  path?: string;
}

export interface DeviceDetails {
  namespace: string;
  ifname: string | null;
  /** Each section: the command (argv, so the learner can retype it) and its text output. */
  sections: { title: string; command: string[]; output: string }[];
}

/** Every call: name → request and response. The server implements exactly these. */
export interface UiCalls {
  'session.info': { request: Record<string, never>; response: SessionInfo };
  'namespaces.list': { request: Record<string, never>; response: NamespaceInfo[] };
  /** `lab`: a guided lab whose variables ($CONTAINER…) the shell gets. */
  'terminal.open': { request: { namespace: string; cols: number; rows: number; lab?: string }; response: TerminalInfo };
  'terminal.list': { request: Record<string, never>; response: TerminalInfo[] };
  'terminal.close': { request: { id: string }; response: { closed: boolean } };
  /** A terminal in a pod's container through pods/exec (apiserver → kubelet :10250), as kubectl exec -it. */
  'terminal.exec': {
    request: { namespace: string; pod: string; container?: string; cols: number; rows: number };
    response: TerminalInfo;
  };
  /** `kubewire node stop|start`: a node's kubelet stopped (NotReady after the grace period) or started. */
  'node.kubelet': { request: { node: string; action: 'stop' | 'start' }; response: { node: string; stopped: boolean } };
  'topology.get': { request: Record<string, never>; response: TopologyGraph };
  'device.details': { request: { namespace: string; ifname?: string }; response: DeviceDetails };
}
// ---- Path tracer calls (common/path-contract.ts; kept in their own block and file) ----
export interface UiCalls extends PathCalls {}
// ---- iptables view calls (common/iptables-contract.ts) ----
export interface UiCalls extends IptablesCalls {}
// ---- cluster tables calls (common/cluster-contract.ts) ----
export interface UiCalls extends ClusterCalls {}
// ---- lab guide calls (common/guide-contract.ts) ----
export interface UiCalls extends GuideCalls {}
// ---- lab screen: learner progress, layouts, start/replay activity (common/learner-contract.ts) ----
export interface UiCalls extends LearnerCalls {}

export type CallName = keyof UiCalls;
export type CallRequest<K extends CallName> = UiCalls[K]['request'];
export type CallResponse<K extends CallName> = UiCalls[K]['response'];

export const TERMINAL_ID = /^[0-9a-f]{16}$/;

const empty = (v: unknown, where: string): Record<string, never> => {
  onlyKeys(asObject(v ?? {}, where), where, []);
  return {};
};

/** Runtime validators for each call's request; a missing entry is a compile error. */
export const requestValidators: { [K in CallName]: (v: unknown, where: string) => CallRequest<K> } = {
  ...pathRequestValidators,
  ...iptablesRequestValidators,
  ...clusterRequestValidators,
  ...guideRequestValidators,
  ...learnerRequestValidators,
  'session.info': empty,
  'namespaces.list': empty,
  'terminal.list': empty,
  'topology.get': empty,
  'terminal.open': (v, where) => {
    const o = asObject(v, where);
    onlyKeys(o, where, ['namespace', 'cols', 'rows', 'lab']);
    const req: { namespace: string; cols: number; rows: number; lab?: string } = {
      namespace: asString(o.namespace, `${where}.namespace`, { pattern: NAMESPACE_NAME }),
      cols: asInteger(o.cols, `${where}.cols`, 2, 1000),
      rows: asInteger(o.rows, `${where}.rows`, 1, 500),
    };
    if (o.lab !== undefined) req.lab = asString(o.lab, `${where}.lab`, { pattern: /^[a-z0-9][a-z0-9-]{0,40}$/ });
    return req;
  },
  'terminal.exec': (v, where) => {
    const o = asObject(v, where);
    onlyKeys(o, where, ['namespace', 'pod', 'container', 'cols', 'rows']);
    const k8sName = DNS1123_SUBDOMAIN;
    const req: { namespace: string; pod: string; container?: string; cols: number; rows: number } = {
      namespace: asString(o.namespace, `${where}.namespace`, { pattern: k8sName }),
      pod: asString(o.pod, `${where}.pod`, { pattern: k8sName }),
      cols: asInteger(o.cols, `${where}.cols`, 2, 1000),
      rows: asInteger(o.rows, `${where}.rows`, 1, 500),
    };
    if (o.container !== undefined) req.container = asString(o.container, `${where}.container`, { pattern: k8sName });
    return req;
  },
  'node.kubelet': (v, where) => {
    const o = asObject(v, where);
    onlyKeys(o, where, ['node', 'action']);
    const action = asString(o.action, `${where}.action`, { pattern: /^(stop|start)$/ }) as 'stop' | 'start';
    return { node: asString(o.node, `${where}.node`, { pattern: DNS1123_LABEL }), action };
  },
  'terminal.close': (v, where) => {
    const o = asObject(v, where);
    onlyKeys(o, where, ['id']);
    return { id: asString(o.id, `${where}.id`, { pattern: TERMINAL_ID }) };
  },
  'device.details': (v, where) => {
    const o = asObject(v, where);
    onlyKeys(o, where, ['namespace', 'ifname']);
    const req: { namespace: string; ifname?: string } = {
      namespace: asString(o.namespace, `${where}.namespace`, { pattern: NAMESPACE_NAME }),
    };
    if (o.ifname !== undefined) req.ifname = asString(o.ifname, `${where}.ifname`, { pattern: INTERFACE_NAME });
    return req;
  },
};

export const CALL_NAMES = Object.keys(requestValidators) as CallName[];

export function isCallName(name: string): name is CallName {
  return Object.prototype.hasOwnProperty.call(requestValidators, name);
}

// ---- WebSocket frames (JSON text) ----

export type ClientMessage =
  | { type: 'terminal.attach'; id: string }
  | { type: 'terminal.detach'; id: string }
  | { type: 'terminal.input'; id: string; data: string }
  | { type: 'terminal.resize'; id: string; cols: number; rows: number }
  | { type: 'topology.subscribe' }
  | { type: 'topology.unsubscribe' }
  | { type: 'cluster.subscribe' }
  | { type: 'cluster.unsubscribe' }
  /** Latency probe: the server answers `pong` with the same `t`. */
  | { type: 'ping'; t: number };

export type ServerMessage =
  | { type: 'hello'; session: SessionInfo }
  /** Sent once on attach: what the shell printed before (bounded ring buffer), then live output. */
  | { type: 'terminal.scrollback'; id: string; data: string }
  | { type: 'terminal.output'; id: string; data: string }
  | { type: 'terminal.exit'; id: string; exitCode: number }
  | { type: 'terminals'; terminals: TerminalInfo[] }
  | { type: 'topology'; graph: TopologyGraph; readMs: number }
  | { type: 'cluster'; snapshot: ClusterSnapshot }
  | { type: 'pong'; t: number }
  | { type: 'error'; error: ErrorData };

export const MAX_INPUT_CHARS = 64 * 1024;
/** The UI server's WebSocket frame limit; a bigger frame closes that socket with 1009. */
export const MAX_FRAME_BYTES = 256 * 1024;

export function parseClientMessage(v: unknown): ClientMessage {
  const where = 'websocket message';
  const o = asObject(v, where);
  const type = asString(o.type, `${where}.type`, { max: 40 });
  const id = (): string => asString(o.id, `${where}.id`, { pattern: TERMINAL_ID });
  switch (type) {
    case 'terminal.attach':
    case 'terminal.detach':
      onlyKeys(o, where, ['type', 'id']);
      return { type, id: id() };
    case 'terminal.input':
      onlyKeys(o, where, ['type', 'id', 'data']);
      return { type, id: id(), data: asString(o.data, `${where}.data`, { max: MAX_INPUT_CHARS }) };
    case 'terminal.resize':
      onlyKeys(o, where, ['type', 'id', 'cols', 'rows']);
      return {
        type,
        id: id(),
        cols: asInteger(o.cols, `${where}.cols`, 2, 1000),
        rows: asInteger(o.rows, `${where}.rows`, 1, 500),
      };
    case 'topology.subscribe':
    case 'topology.unsubscribe':
    case 'cluster.subscribe':
    case 'cluster.unsubscribe':
      onlyKeys(o, where, ['type']);
      return { type };
    case 'ping':
      onlyKeys(o, where, ['type', 't']);
      return { type, t: asNumber(o.t, `${where}.t`) };
    default:
      throw new ValidationError(`${where}.type`, `unknown message type '${type}'`);
  }
}

/** The renderer's side of the check: a server frame must at least have a known type. */
export function parseServerMessage(v: unknown): ServerMessage {
  const o = asObject(v, 'server message');
  const type = asString(o.type, 'server message.type', { max: 40 });
  const known = [
    'hello',
    'terminal.scrollback',
    'terminal.output',
    'terminal.exit',
    'terminals',
    'topology',
    'cluster',
    'pong',
    'error',
  ];
  if (!known.includes(type)) throw new ValidationError('server message.type', `unknown message type '${type}'`);
  return o as unknown as ServerMessage;
}

export function errorResult(code: ErrorCode, message: string): { ok: false; error: ErrorData } {
  return { ok: false, error: { code, message } };
}

/** Headers and cookie the server accepts the session token in (the first page URL uses `?token=`). */
export const TOKEN_HEADER = 'x-kubewire-token';
export const TOKEN_PATTERN = /^[0-9a-f]{64}$/;
export function sessionCookieName(port: number): string {
  // Cookies ignore ports: two servers on 127.0.0.1 must not overwrite each other's session.
  return `kubewire_session_${port}`;
}
