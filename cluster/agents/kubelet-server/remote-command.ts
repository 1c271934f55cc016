// Remote command (exec, attach) over WebSocket, the wire format client-go and kubectl 1.32 speak
// (k8s.io/apimachinery wsstream + client-go tools/remotecommand): every binary message starts with
// a channel byte — 0 stdin, 1 stdout, 2 stderr, 3 error (a metav1.Status as JSON, the exit code in
// details.causes[reason=ExitCode]), 4 resize ({"Width":w,"Height":h}) — and in v5.channel.k8s.io a
// message [255, n] closes channel n (stdin: the process sees end of input). The connection ends
// with a normal close (1000) after the status, which is what tells the client all streams ended.
import type { WebSocket } from 'ws';
import type { StreamProcess } from './stream-runtime.js';

export const REMOTE_COMMAND_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
export const STREAM_CLOSE = 255;
export const CH = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 } as const;

export interface StreamFlags {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export function streamFlags(q: URLSearchParams): StreamFlags {
  const b = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  return {
    stdin: b('stdin') || b('input'),
    stdout: b('stdout') || b('output'),
    stderr: b('stderr') || b('error'),
    tty: b('tty'),
  };
}

/** The Status the error channel carries when the command has ended. */
export function exitStatus(code: number): string {
  if (code === 0) return JSON.stringify({ metadata: {}, status: 'Success' });
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command, exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  });
}

export function failureStatus(message: string): string {
  return JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 });
}

/**
 * A resize message's size: {"Width":w,"Height":h} as client-go sends it, or lowercase as
 * @kubernetes/client-node does (Go's JSON decoding ignores case, so the kubelet takes both).
 */
export function parseTerminalSize(text: string): { cols: number; rows: number } | undefined {
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    const pick = (k: string) => Number(Object.entries(o).find(([key]) => key.toLowerCase() === k)?.[1]);
    const cols = pick('width');
    const rows = pick('height');
    return cols > 0 && rows > 0 ? { cols, rows } : undefined;
  } catch {
    return undefined;
  }
}

function frame(ch: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = ch;
  body.copy(out, 1);
  return out;
}

export type StartProcess = (size?: { cols: number; rows: number }) => StreamProcess;

/**
 * Connects one negotiated WebSocket to a process until it exits. With a TTY the process starts
 * once the client's first resize arrives (at most 1 s later: kubectl sends it at once, but a loaded
 * machine delays it), so it sees its terminal's size from the start; what the client sends
 * meanwhile is replayed.
 */
export function serveRemoteCommand(ws: WebSocket, start: StartProcess, f: StreamFlags): void {
  const early: [Buffer, boolean][] = [];
  const hold = (d: Buffer, b: boolean) => early.push([d, b]);
  ws.on('message', hold);
  const go = (size?: { cols: number; rows: number }) => {
    ws.off('message', hold);
    let proc: StreamProcess;
    try {
      proc = start(size);
    } catch (err) {
      if (ws.readyState === ws.OPEN) ws.send(frame(CH.error, failureStatus((err as Error).message)), { binary: true });
      ws.close(1000);
      return;
    }
    connect(ws, proc, f, early);
  };
  if (!f.tty) return go();
  const timer = setTimeout(() => go(), 1000);
  const onFirst = (d: Buffer) => {
    const buf = Buffer.isBuffer(d) ? d : Buffer.from(d as unknown as ArrayBuffer);
    if (buf[0] !== CH.resize) return;
    const sz = parseTerminalSize(buf.subarray(1).toString());
    if (!sz) return;
    clearTimeout(timer);
    ws.off('message', onFirst);
    go(sz);
  };
  ws.on('message', onFirst);
  ws.on('close', () => clearTimeout(timer));
}

function connect(ws: WebSocket, proc: StreamProcess, f: StreamFlags, early: [Buffer, boolean][]): void {
  const v5 = ws.protocol === 'v5.channel.k8s.io';
  const send = (ch: number, d: Buffer | string) => {
    if (ws.readyState === ws.OPEN) ws.send(frame(ch, d), { binary: true });
  };
  // kubelet announces the connection with an empty message on the lowest writable channel.
  send(f.stdout ? CH.stdout : f.stderr ? CH.stderr : CH.error, Buffer.alloc(0));
  const outputs: Promise<void>[] = [];
  const pump = (src: NodeJS.ReadableStream | undefined, ch: number, wanted: boolean) => {
    if (!src) return;
    outputs.push(
      new Promise((resolve) => {
        src.on('data', (d: Buffer) => wanted && send(ch, d));
        src.on('end', resolve);
        src.on('close', resolve);
        src.on('error', () => resolve());
      }),
    );
  };
  pump(proc.stdout, CH.stdout, f.stdout);
  pump(proc.stderr, CH.stderr, f.stderr);
  const onMessage = (data: Buffer, isBinary: boolean) => {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data as unknown as ArrayBuffer);
    if (!isBinary || buf.length === 0) return;
    const ch = buf[0]!;
    const body = buf.subarray(1);
    if (ch === CH.stdin && proc.stdin && body.length) proc.stdin.write(body);
    else if (ch === CH.resize) {
      // A malformed resize is ignored, as kubelet's handleResizing does.
      const sz = parseTerminalSize(body.toString());
      if (sz) proc.resize(sz.cols, sz.rows);
    } else if (v5 && ch === STREAM_CLOSE && body[0] === CH.stdin) proc.stdin?.end();
  };
  for (const [d, b] of early) onMessage(d, b);
  ws.on('message', onMessage);
  let done = false;
  ws.on('close', () => {
    if (!done) proc.kill();
  });
  void proc.exited.then(async (code) => {
    await Promise.race([Promise.all(outputs), new Promise((r) => setTimeout(r, 2000))]);
    done = true;
    send(CH.error, exitStatus(code));
    ws.close(1000);
  });
}
