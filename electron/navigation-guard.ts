// Where the desktop window may go: only the app's own origin (the loopback UI server). A link to
// anywhere else never opens inside the app; http(s) links go to the system browser instead.

export type NavigationDecision = { action: 'allow' } | { action: 'deny'; openExternally: boolean; reason: string };

/** `http://127.0.0.1:<port>`: the only origin the window shows. */
export function appOriginOf(serverUrl: string): string {
  const u = new URL(serverUrl);
  if (u.protocol !== 'http:' || u.hostname !== '127.0.0.1' || !u.port)
    throw new Error(`the UI server must be http://127.0.0.1:<port>, got ${u.origin}`);
  return u.origin;
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** will-navigate / will-redirect: same origin stays, everything else is refused. */
export function decideNavigation(url: string, appOrigin: string): NavigationDecision {
  const u = parse(url);
  if (!u) return { action: 'deny', openExternally: false, reason: 'not a URL' };
  if (u.origin === appOrigin) return { action: 'allow' };
  return { action: 'deny', openExternally: false, reason: `navigation to ${u.origin} is outside the app` };
}

/** setWindowOpenHandler: no new app windows; a plain web link may open in the system browser. */
export function decideWindowOpen(url: string, appOrigin: string): NavigationDecision {
  const u = parse(url);
  if (!u) return { action: 'deny', openExternally: false, reason: 'not a URL' };
  if (u.origin === appOrigin)
    return { action: 'deny', openExternally: false, reason: 'the app opens no second window' };
  if (u.protocol === 'http:' || u.protocol === 'https:')
    return { action: 'deny', openExternally: true, reason: 'web link: system browser' };
  return { action: 'deny', openExternally: false, reason: `${u.protocol} links are not opened` };
}

/** openExternal's own check (the preload call lands here too): only http(s), never file: or custom schemes. */
export function isExternalWebUrl(url: string): boolean {
  const u = parse(url);
  return !!u && (u.protocol === 'http:' || u.protocol === 'https:') && url.length <= 2048;
}
