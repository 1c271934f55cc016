// Hands the UI's token URL to a browser without putting it in any process's argv (where every
// local user reads it with `ps`): the URL goes into an HTML file, mode 0600 in a 0700 folder owned
// by the user whose browser opens it, and only the file's path is passed to xdg-open. The file
// redirects to the URL; it is deleted once the page has loaded or after a short time. (Jupyter
// hands its token to browsers the same way.)
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface OpenFile {
  /** A file:// URL naming the private file: safe to put in argv, it holds no secret. */
  fileUrl: string;
  path: string;
  remove(): void;
}

export function writeBrowserOpenFile(
  url: string,
  o: { runAs?: { uid: number; gid: number }; baseDir?: string; ttlMs?: number } = {},
): OpenFile {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' || parsed.hostname !== '127.0.0.1')
    throw new Error(`refusing to write an open file for ${parsed.origin}`);
  const dir = mkdtempSync(join(o.baseDir ?? tmpdir(), 'kubewire-open-')); // mode 0700
  const path = join(dir, 'open.html');
  const href = escapeHtml(parsed.href);
  writeFileSync(
    path,
    `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${href}"><title>kubewire</title><a href="${href}">Open kubewire</a>\n`,
    { mode: 0o600, flag: 'wx' },
  );
  if (o.runAs) {
    // The browser runs as the invoking user (sudo); only that user may read the token.
    chownSync(dir, o.runAs.uid, o.runAs.gid);
    chownSync(path, o.runAs.uid, o.runAs.gid);
  }
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };
  const timer = setTimeout(remove, o.ttlMs ?? 120_000);
  timer.unref();
  return { fileUrl: pathToFileURL(path).href, path, remove };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
