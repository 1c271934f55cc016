// `kubectl logs`: the apiserver's log subresource asks this for a container's output, which the
// runtime appends to <lab>/logs/<pod namespace>/<container>.log (kubelet serves the same from its
// node; here every node's files are on this machine). tailLines and follow are honoured.
import { open, stat } from 'node:fs/promises';
import type { PodLogSource } from '../../apiserver/http/context.js';
import { ApiError } from '../../apiserver/status.js';

export class ContainerLogs implements PodLogSource {
  constructor(private readonly logFile: (namespace: string, pod: string, container: string) => string) {}

  async streamLog(
    pod: { metadata?: { name?: string; namespace?: string } },
    container: string,
    opts: { follow: boolean; tailLines?: number; timestamps: boolean; previous: boolean },
    out: NodeJS.WritableStream,
    signal: AbortSignal,
  ): Promise<void> {
    const file = this.logFile(pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? '', container);
    let fh;
    try {
      fh = await open(file, 'r');
    } catch {
      throw new ApiError(400, 'BadRequest', `container "${container}" in pod "${pod.metadata?.name}" is waiting to start: ContainerCreating`);
    }
    try {
      const size = (await fh.stat()).size;
      let pos = 0;
      if (opts.tailLines !== undefined) pos = await tailStart(fh, size, opts.tailLines);
      pos = await copy(fh, pos, size, out);
      while (opts.follow && !signal.aborted) {
        await new Promise((r) => setTimeout(r, 250));
        const now = (await stat(file).catch(() => undefined))?.size ?? 0;
        if (now > pos) pos = await copy(fh, pos, now, out);
      }
    } finally {
      await fh.close();
    }
  }
}

type Handle = Awaited<ReturnType<typeof open>>;

async function copy(fh: Handle, from: number, to: number, out: NodeJS.WritableStream): Promise<number> {
  const buf = Buffer.alloc(64 * 1024);
  let pos = from;
  while (pos < to) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, to - pos), pos);
    if (!bytesRead) break;
    out.write(Buffer.from(buf.subarray(0, bytesRead)));
    pos += bytesRead;
  }
  return pos;
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
