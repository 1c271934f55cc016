// How `kubewire desktop` shows the UI: the Electron window when its binary is installed and a
// display exists, otherwise the same renderer in a browser. The window does not run as root: under
// sudo it runs as the invoking user; as plain root (no SUDO_UID) Chromium would need --no-sandbox,
// which we refuse, so the URL is printed instead.

export type DesktopMode =
  | { mode: 'electron'; binary: string; runAs?: { uid: number; gid: number } }
  | { mode: 'browser'; reason: string; openWith?: string; runAs?: { uid: number; gid: number } };

export interface DesktopEnvironment {
  electronBinary: string | undefined;
  display: string | undefined;
  uid: number;
  sudoUid: string | undefined;
  sudoGid: string | undefined;
  /** Path of xdg-open (or similar) if installed. */
  opener: string | undefined;
}

export function chooseDesktopMode(env: DesktopEnvironment): DesktopMode {
  const runAs =
    env.uid === 0 && env.sudoUid && /^[1-9][0-9]*$/.test(env.sudoUid) && env.sudoGid && /^[0-9]+$/.test(env.sudoGid)
      ? { uid: Number(env.sudoUid), gid: Number(env.sudoGid) }
      : undefined;
  const browser = (reason: string): DesktopMode => {
    const m: DesktopMode = { mode: 'browser', reason };
    if (env.display && env.opener) {
      m.openWith = env.opener;
      if (runAs) m.runAs = runAs;
    }
    return m;
  };
  if (!env.electronBinary) return browser('the Electron binary is not installed');
  if (!env.display) return browser('no display (DISPLAY/WAYLAND_DISPLAY unset)');
  if (env.uid === 0 && !runAs) return browser('running as root without sudo: the window would need --no-sandbox');
  return runAs
    ? { mode: 'electron', binary: env.electronBinary, runAs }
    : { mode: 'electron', binary: env.electronBinary };
}
