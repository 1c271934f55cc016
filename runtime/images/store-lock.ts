// A lock file shared by every kubewire process on the machine (several labs use one image store):
// created with O_EXCL, holding "pid starttime"; a holder that died (kill -9) is detected and its
// lock taken over, so a crash never wedges the store.
import { open, readFile, unlink } from 'node:fs/promises';
import { KubewireError } from '../../common/errors.js';

export class StoreLockTimeout extends KubewireError {}

async function startTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

async function holderAlive(path: string): Promise<boolean> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const [pid, start] = text.trim().split(' ');
  if (!pid || !start) return true; // being written right now: treat as held
  return (await startTime(Number(pid))) === start;
}

/** Runs `fn` holding the lock at `path`; waits up to `timeoutMs` for another holder. */
export async function withStoreLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const me = `${process.pid} ${await startTime(process.pid)}`;
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(me);
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (!(await holderAlive(path))) {
        await unlink(path).catch(() => {});
        continue;
      }
      if (Date.now() > deadline)
        throw new StoreLockTimeout(`image store lock ${path} still held after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 500);
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => {});
  }
}
