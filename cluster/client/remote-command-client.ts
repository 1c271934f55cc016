// A client of pods/exec as kubectl 1.32 is one: a WebSocket to the apiserver with the subprotocol
// v5.channel.k8s.io (v4 accepted), stdin on channel 0, the terminal size as JSON on channel 4,
// stdout/stderr from 1/2, the Status on 3 (exit code in details.causes[ExitCode]), and v5's
// [255, 0] to close stdin. The UI's container terminals run it (`kubewire pod-exec`), so they go
// the same way as `kubectl exec -it`: apiserver → kubelet :10250 → the container.
import WebSocket from 'ws';

export interface ExecTarget {
  server: string;
  ca?: Buffer;
  token?: string;
  namespace: string;
  pod: string;
  container?: string;
  command: string[];
  tty: boolean;
}

export interface ExecIo {
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** The terminal's size now, and a way to hear about changes. */
  size?(): { cols: number; rows: number };
  onResize?(fn: () => void): void;
}

export class ExecError extends Error {}

/** Runs the command; resolves with its exit code. */
export function execInPod(t: ExecTarget, io: ExecIo): Promise<number> {
  const q = new URLSearchParams();
  for (const c of t.command) q.append('command', c);
  if (t.container) q.set('container', t.container);
  q.set('stdout', 'true');
  if (io.stdin) q.set('stdin', 'true');
  if (!t.tty) q.set('stderr', 'true');
  if (t.tty) q.set('tty', 'true');
  const url = `${t.server.replace(/^http/, 'ws')}/api/v1/namespaces/${encodeURIComponent(t.namespace)}/pods/${encodeURIComponent(t.pod)}/exec?${q}`;
  const ws = new WebSocket(url, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], {
    ...(t.ca ? { ca: t.ca } : {}),
    headers: t.token ? { Authorization: `Bearer ${t.token}` } : {},
    perMessageDeflate: false,
  });
  return new Promise((resolve, reject) => {
    let status:
      { status?: string; message?: string; details?: { causes?: { reason?: string; message?: string }[] } } | undefined;
    const send = (ch: number, d: Buffer) => ws.readyState === ws.OPEN && ws.send(Buffer.concat([Buffer.from([ch]), d]));
    const resize = () => {
      const s = io.size?.();
      if (s) send(4, Buffer.from(JSON.stringify({ Width: s.cols, Height: s.rows })));
    };
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(new ExecError(`exec: ${res.statusCode}: ${body.trim()}`)));
    });
    ws.on('error', (e) => reject(new ExecError(`exec: ${e.message}`)));
    ws.on('open', () => {
      if (t.tty) {
        resize();
        io.onResize?.(resize);
      }
      io.stdin?.on('data', (d: Buffer | string) => send(0, Buffer.isBuffer(d) ? d : Buffer.from(d)));
      io.stdin?.on(
        'end',
        () => ws.protocol === 'v5.channel.k8s.io' && ws.readyState === ws.OPEN && ws.send(Buffer.from([255, 0])),
      );
    });
    ws.on('message', (d: Buffer) => {
      const ch = d[0];
      const body = d.subarray(1);
      if (ch === 1) io.stdout.write(body);
      else if (ch === 2) io.stderr.write(body);
      else if (ch === 3 && body.length) status = JSON.parse(body.toString());
    });
    ws.on('close', () => {
      if (!status || status.status === 'Success') return resolve(status ? 0 : 1);
      const code = status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
      if (code !== undefined) return resolve(Number(code));
      io.stderr.write(`${status.message ?? 'exec failed'}\n`);
      resolve(1);
    });
  });
}
