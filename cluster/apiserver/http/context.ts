// What the request handlers share: the catalog, the object store, strategies, the admission
// chain, the clock and the connection to the kubelets. Built once by ApiServer.
import type { ServerResponse } from 'node:http';
import type { AdmissionChain } from '../admission/admission.js';
import type { UserInfo } from '../authn/authenticator.js';
import type { Authorizer } from '../authz/authorizer.js';
import type { Clock } from '../clock.js';
import type { KObject, ObjectStore } from '../registry/object-store.js';
import type { Strategy } from '../registry/strategy.js';
import type { Authenticator } from '../authn/authenticator.js';
import type { KubeletConnector } from './kubelet-proxy.js';
import type { ResourceCatalog, ResourceInfo } from '../resources.js';
import type { ApiError } from '../status.js';
import type { FieldManager } from '../apply/field-manager.js';
import { encodeForWire } from '../encoding/go-json.js';
import type { ServiceAccountTokens } from '../authn/service-account-token.js';

export interface WriteObserver {
  /** Called after every stored write (used to keep in-memory policy current at once). */
  (r: ResourceInfo, obj: KObject, deleted: boolean): void;
}

export interface ApiContext {
  catalog: ResourceCatalog;
  store: ObjectStore;
  strategy: Strategy;
  admission: AdmissionChain;
  clock: Clock;
  authorizers: readonly Authorizer[];
  /** How pods/log, exec, attach, portforward and the proxies reach nodes; 503 without one. */
  kubelet?: KubeletConnector;
  /** For TokenReview (the kubelets' delegated authentication). */
  authenticators: readonly Authenticator[];
  observeWrite: WriteObserver;
  bookmarkIntervalMs: number;
  /** managedFields bookkeeping and server-side apply. */
  fieldManager: FieldManager;
  /** Issues bound service-account tokens (serviceaccounts/token); absent: the subresource answers 405. */
  serviceAccountTokens?: ServiceAccountTokens;
}

export interface RequestScope {
  user: UserInfo;
  url: URL;
  namespace: string;
  name: string;
  subresource: string;
  resource: ResourceInfo;
}

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = encodeForWire(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // Warnings admission gave before it refused travel with the refusal, as kube-apiserver sends them.
  sendJson(
    res,
    err.code,
    err.toStatus(),
    err.warnings?.length ? { Warning: err.warnings.map(warningHeader).join(', ') } : {},
  );
}

/**
 * One RFC 7234 warning as apimachinery's NewWarningHeader writes it: `299 - "<text>"` with `"` and
 * `\` escaped and the text's UTF-8 bytes as they are. Node sends header strings as Latin-1, so the
 * UTF-8 bytes are handed over one per character (a field name like `é` used to throw, a 500); control
 * characters, which no header may carry, are dropped.
 */
export function warningHeader(text: string): string {
  const printable = [...text].filter((c) => c === '\t' || (c >= ' ' && c !== '\u007f')).join('');
  const quoted = `299 - "${printable.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  return Buffer.from(quoted, 'utf8').toString('latin1');
}
