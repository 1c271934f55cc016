// The kubelet's /containerLogs/{namespace}/{pod}/{container}: a container's output from the log
// file the runtime writes (<lab>/logs/<pod netns>/<container>.log; the run before the last restart
// is <container>.previous.log, kept by the kubelet when it restarts a container), with kubelet's
// query parameters: follow, previous, tailLines, limitBytes, timestamps, sinceSeconds, sinceTime.
// Lines in the CRI log format (`<RFC3339Nano> stdout F text`) carry their own time; the runtime's
// plain files do not, so their lines are dated by the file's modification time when read from
// the backlog and by the moment they are read when followed (within the 50 ms poll).
import { open, stat } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';

export interface LogOptions {
  follow: boolean;
  previous: boolean;
  tailLines?: number;
  limitBytes?: number;
  timestamps: boolean;
  /** Epoch ms: only lines at or after it. */
  since?: number;
}

export class LogOptionsError extends Error {}

export function parseLogOptions(q: URLSearchParams, now: number): LogOptions {
  const num = (k: string): number | undefined => {
    const v = q.get(k);
    if (v === null || v === '') return undefined;
    if (!/^\d+$/.test(v)) throw new LogOptionsError(`${k}: must be a non-negative integer`);
    return Number(v);
  };
  const sinceSeconds = num('sinceSeconds');
  const sinceTime = q.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime)
    throw new LogOptionsError('at most one of sinceTime or sinceSeconds may be specified');
  let since: number | undefined;
  if (sinceSeconds !== undefined) since = now - sinceSeconds * 1000;
  if (sinceTime) {
    since = Date.parse(sinceTime);
    if (Number.isNaN(since)) throw new LogOptionsError(`sinceTime: ${sinceTime} is not RFC3339`);
  }
  const bool = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  return {
    follow: bool('follow'),
    previous: bool('previous'),
    tailLines: num('tailLines'),
    limitBytes: num('limitBytes'),
    timestamps: bool('timestamps'),
    ...(since !== undefined ? { since } : {}),
  };
}

// The text is anything up to the record's "\n", a terminal's "\r" included (a tty container's output):
// `s`, so `.` takes it too, as the kubelet's parser splits on the first three spaces only.
const CRI_LINE = /^(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([FP]) (.*)$/s;

/** Formats raw file text into what the client receives, line by line. */
class LineFormatter {
  private rest = '';
  private sent = 0;
  constructor(
    private readonly o: LogOptions,
    private readonly out: (b: Buffer) => void,
  ) {}

  /** False once limitBytes is reached. */
  push(text: string, fallbackTime: number, flush = false): boolean {
    const all = this.rest + text;
    const lines = all.split('\n');
    this.rest = flush ? '' : lines.pop()!;
    if (flush && lines[lines.length - 1] === '') lines.pop();
    for (const raw of lines) {
      const m = CRI_LINE.exec(raw);
      const at = m ? Date.parse(m[1]!) : fallbackTime;
      const body = m ? m[4]! + (m[3] === 'P' ? '' : '\n') : `${raw}\n`;
      if (this.o.since !== undefined && at < this.o.since) continue;
      const stamp = this.o.timestamps ? `${m ? m[1] : new Date(at).toISOString().replace('Z', '000000Z')} ` : '';
      let b = Buffer.from(stamp + body);
      if (this.o.limitBytes !== undefined) {
        if (this.sent >= this.o.limitBytes) return false;
        b = b.subarray(0, this.o.limitBytes - this.sent);
      }
      this.sent += b.length;
      this.out(b);
    }
    return this.o.limitBytes === undefined || this.sent < this.o.limitBytes;
  }
}

/** Streams one container's log; resolves when done (or, following, when the signal aborts). */
export async function streamContainerLog(
  file: string,
  o: LogOptions,
  out: (b: Buffer) => void,
  signal: AbortSignal,
  fileGone: () => boolean = () => false,
): Promise<void> {
  const fh = await open(file, 'r');
  let watcher: FSWatcher | undefined;
  try {
    const st = await fh.stat();
    const fmt = new LineFormatter(o, out);
    let pos = o.tailLines !== undefined ? await tailStart(fh, st.size, o.tailLines) : 0;
    const backlog = await readRange(fh, pos, st.size);
    pos = st.size;
    if (!fmt.push(backlog.toString('utf8'), st.mtimeMs, !o.follow)) return;
    if (!o.follow) return;
    let wake: (() => void) | undefined;
    try {
      watcher = watch(file, () => wake?.());
    } catch {
      /* polling alone */
    }
    while (!signal.aborted && !fileGone()) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        wake = () => {
          clearTimeout(t);
          r();
        };
        signal.addEventListener('abort', wake, { once: true });
      });
      wake = undefined;
      const size = (await stat(file).catch(() => undefined))?.size ?? 0;
      if (size < pos) pos = 0; // truncated or replaced
      if (size > pos) {
        const chunk = await readRange(fh, pos, size);
        pos = size;
        if (!fmt.push(chunk.toString('utf8'), Date.now())) return;
      }
    }
  } finally {
    watcher?.close();
    await fh.close();
  }
}

type Handle = Awaited<ReturnType<typeof open>>;

async function readRange(fh: Handle, from: number, to: number): Promise<Buffer> {
  const buf = Buffer.alloc(Math.max(0, to - from));
  let off = 0;
  while (off < buf.length) {
    const { bytesRead } = await fh.read(buf, off, buf.length - off, from + off);
    if (!bytesRead) break;
    off += bytesRead;
  }
  return buf.subarray(0, off);
}

/** Offset of the start of the last `lines` lines. */
async function tailStart(fh: Handle, size: number, lines: number): Promise<number> {
  if (lines <= 0) return size;
  const chunk = 64 * 1024;
  let end = size;
  let seen = 0;
  const buf = Buffer.alloc(chunk);
  while (end > 0) {
    const start = Math.max(0, end - chunk);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    for (let i = bytesRead - 1; i >= 0; i--) {
      if (buf[i] === 0x0a && start + i !== size - 1) {
        if (++seen === lines) return start + i + 1;
      }
    }
    end = start;
  }
  return 0;
}
