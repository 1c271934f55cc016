// The kubelet's authentication and authorization in webhook mode (--authentication-token-webhook,
// --authorization-mode=Webhook): a client certificate signed by the cluster CA names the caller
// (CN = user, O = groups — the apiserver's kubelet client certificate), a bearer token is sent to
// the apiserver as a TokenReview; then a SubjectAccessReview asks whether that user may do the
// verb on nodes/<subresource> of this node (kubelet's server/auth.go path → subresource mapping).
// Answers are cached as kubelet does (authn 2 min; authz 5 min allowed, 30 s denied).
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { RestClient } from '../../client/rest-client.js';

export interface Caller {
  name: string;
  uid: string;
  groups: string[];
}

export interface NodeRequestAttributes {
  verb: string;
  subresource: string;
}

/** kubelet's NodeRequestAttributesGetter: the HTTP verb and the nodes/<sub> a path stands for. */
export function nodeAttributes(method: string, path: string): NodeRequestAttributes {
  const verbs: Record<string, string> = {
    GET: 'get',
    HEAD: 'get',
    POST: 'create',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: 'delete',
  };
  const verb = verbs[method.toUpperCase()] ?? method.toLowerCase();
  const under = (p: string) => path === p || path.startsWith(`${p}/`);
  let subresource = 'proxy';
  if (under('/stats')) subresource = 'stats';
  else if (under('/metrics')) subresource = 'metrics';
  else if (under('/logs')) subresource = 'log';
  else if (under('/spec')) subresource = 'spec';
  else if (under('/checkpoint')) subresource = 'checkpoint';
  else if (under('/configz')) subresource = 'configz';
  else if (under('/healthz')) subresource = 'healthz';
  return { verb, subresource };
}

interface Cached<T> {
  value: T;
  until: number;
}

export class DelegatedAuth {
  private readonly tokens = new Map<string, Cached<Caller | undefined>>();
  private readonly decisions = new Map<string, Cached<boolean>>();

  constructor(
    private readonly api: RestClient,
    private readonly nodeName: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The caller, or undefined (401). */
  async authenticate(req: IncomingMessage): Promise<Caller | undefined> {
    const sock = req.socket as TLSSocket;
    if (sock.authorized) {
      const cert = sock.getPeerCertificate();
      const subj = cert?.subject as unknown as Record<string, string | string[]> | undefined;
      const cn = subj?.CN;
      if (typeof cn === 'string' && cn) {
        const o = subj?.O;
        const groups = Array.isArray(o) ? o : o ? [o] : [];
        return { name: cn, uid: '', groups: [...groups, 'system:authenticated'] };
      }
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    const token = m[1]!;
    const hit = this.tokens.get(token);
    if (hit && hit.until > this.now()) return hit.value;
    const review = await this.api.request<{
      status?: { authenticated?: boolean; user?: { username: string; uid?: string; groups?: string[] } };
    }>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
    });
    const u = review.status?.authenticated ? review.status.user : undefined;
    const caller = u ? { name: u.username, uid: u.uid ?? '', groups: u.groups ?? [] } : undefined;
    this.remember(this.tokens, token, caller, 120_000);
    return caller;
  }

  /** Whether the caller may do this request to this node. */
  async authorize(caller: Caller, a: NodeRequestAttributes): Promise<boolean> {
    const key = JSON.stringify([caller.name, caller.groups, a.verb, a.subresource]);
    const hit = this.decisions.get(key);
    if (hit && hit.until > this.now()) return hit.value;
    const review = await this.api.request<{ status?: { allowed?: boolean } }>(
      'POST',
      '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: caller.name,
            uid: caller.uid || undefined,
            groups: caller.groups,
            resourceAttributes: { verb: a.verb, resource: 'nodes', subresource: a.subresource, name: this.nodeName },
          },
        },
      },
    );
    const allowed = !!review.status?.allowed;
    this.remember(this.decisions, key, allowed, allowed ? 300_000 : 30_000);
    return allowed;
  }

  private remember<T>(map: Map<string, Cached<T>>, key: string, value: T, ttl: number): void {
    if (map.size > 1024) map.clear();
    map.set(key, { value, until: this.now() + ttl });
  }
}
