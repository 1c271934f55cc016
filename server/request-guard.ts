// Decides whether an HTTP request or WebSocket upgrade may reach the UI server (DESIGN.md safety
// invariant 4): a per-session token, a Host header naming our loopback address (a DNS-rebound name
// does not), and an Origin (when a browser sends one) that is exactly our own origin. A WebSocket
// upgrade always needs our exact Origin, whichever way it carries the token: browsers never limit a
// handshake by origin, and a page cannot set the token header, so only a non-browser client that
// names our origin on purpose may use the header there.
import { timingSafeEqual } from 'node:crypto';
import { TOKEN_HEADER, sessionCookieName } from '../common/ui-contract.js';

export interface GuardInput {
  host: string | undefined;
  origin: string | undefined;
  secFetchSite: string | undefined;
  cookie: string | undefined;
  tokenHeader: string | undefined;
  /** `?token=` of the URL: accepted only where `allowQueryToken` (the first page load). */
  queryToken: string | null;
}

export type GuardDecision =
  { allow: true; via: 'cookie' | 'header' | 'query' } | { allow: false; status: 401 | 403; reason: string };

export class RequestGuard {
  private readonly token: Buffer;
  private readonly hosts: Set<string>;
  private readonly origins: Set<string>;
  readonly cookieName: string;

  constructor(
    token: string,
    readonly port: number,
  ) {
    this.token = Buffer.from(token, 'utf8');
    this.hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
    this.origins = new Set([...this.hosts].map((h) => `http://${h}`));
    this.cookieName = sessionCookieName(port);
  }

  /** `upgrade`: a WebSocket handshake, which browsers never restrict by origin: Origin is required. */
  check(req: GuardInput, opts: { allowQueryToken: boolean; upgrade: boolean }): GuardDecision {
    const host = (req.host ?? '').toLowerCase();
    if (!this.hosts.has(host))
      return { allow: false, status: 403, reason: `Host '${req.host ?? ''}' is not this server (DNS rebinding?)` };
    if (req.origin !== undefined && !this.origins.has(req.origin.toLowerCase())) {
      return { allow: false, status: 403, reason: `Origin '${req.origin}' is not allowed` };
    }
    if (opts.upgrade && req.origin === undefined) {
      return { allow: false, status: 403, reason: 'WebSocket upgrade without Origin' };
    }
    // The one request that may come from elsewhere: the first page load carrying the right token in
    // its URL, which `kubewire desktop` opens from a private file (file:// is cross-site). Knowing
    // the token is the whole proof; the page it gets only sets the cookie and reloads itself.
    const tokenPage =
      opts.allowQueryToken && req.queryToken !== null && req.tokenHeader === undefined && req.origin === undefined;
    if (tokenPage && this.matches(req.queryToken!)) return { allow: true, via: 'query' };
    if (req.secFetchSite !== undefined && !['same-origin', 'none'].includes(req.secFetchSite)) {
      return { allow: false, status: 403, reason: `cross-site request (Sec-Fetch-Site: ${req.secFetchSite})` };
    }
    if (req.tokenHeader !== undefined) {
      return this.matches(req.tokenHeader)
        ? { allow: true, via: 'header' }
        : { allow: false, status: 401, reason: `bad ${TOKEN_HEADER}` };
    }
    const fromCookie = readCookie(req.cookie, this.cookieName);
    if (fromCookie !== undefined && this.matches(fromCookie)) return { allow: true, via: 'cookie' };
    if (opts.allowQueryToken && req.queryToken !== null) {
      return this.matches(req.queryToken)
        ? { allow: true, via: 'query' }
        : { allow: false, status: 401, reason: 'bad token in URL' };
    }
    return { allow: false, status: 401, reason: 'no session token (open the URL kubewire printed, with its ?token=)' };
  }

  /** Set-Cookie value that lets the page's later requests and its WebSocket carry the token. */
  sessionCookie(): string {
    return `${this.cookieName}=${this.token.toString('utf8')}; Path=/; HttpOnly; SameSite=Strict`;
  }

  private matches(candidate: string): boolean {
    const c = Buffer.from(candidate, 'utf8');
    return c.length === this.token.length && timingSafeEqual(c, this.token);
  }
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
