// Streaming over SPDY/3.1: an HTTP upgrade (`Upgrade: SPDY/3.1`, the protocol chosen from the
// client's X-Stream-Protocol-Version headers), or kubectl 1.32's port-forward tunnel — SPDY frames
// carried in binary WebSocket messages under the subprotocol `SPDY/3.1+portforward.k8s.io`.
// portforward.k8s.io: the client opens an error and a data stream per connection (headers
// streamType, port, requestID); the kubelet dials the port in the pod and copies bytes, writing a
// failure as text on the error stream. Remote command (v4.channel.k8s.io and older over SPDY): one
// stream per stdin/stdout/stderr/error/resize (header streamType), the Status JSON on `error`.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { exitStatus, failureStatus, parseTerminalSize, type StreamFlags } from './remote-command.js';
import { SpdySession, type SpdyStream } from './spdy-session.js';
import type { StreamProcess } from './stream-runtime.js';

export const SPDY_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
const EXEC_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

export function isSpdyUpgrade(req: IncomingMessage): boolean {
  return /^spdy\/3\.1$/i.test(String(req.headers.upgrade ?? ''));
}

export type SpdyServe =
  | { kind: 'portforward'; dial(port: number): Duplex; log(line: string): void; tunnel?: WebSocket }
  | { kind: 'exec'; start(): StreamProcess; flags: StreamFlags; log(line: string): void };

export function serveSpdyUpgrade(req: IncomingMessage, socket: Duplex, o: SpdyServe): void {
  if (o.kind === 'portforward' && o.tunnel) {
    const ws = o.tunnel;
    // kubectl's tunnel reads the messages as one byte stream (client-go's TunnelingConnection):
    // a large DATA frame goes as one message in two WebSocket frames, its header and its payload.
    const session = new SpdySession((head, payload) => {
      if (ws.readyState !== ws.OPEN) return;
      if (!payload) return ws.send(head, { binary: true });
      if (payload.length < 4096) return ws.send(Buffer.concat([head, payload]), { binary: true });
      ws.send(head, { binary: true, fin: false });
      ws.send(payload, { binary: true, fin: true });
    });
    ws.on('message', (d: Buffer) => session.receive(Buffer.isBuffer(d) ? d : Buffer.from(d as unknown as ArrayBuffer)));
    ws.on('close', () => session.close());
    session.on('error', () => ws.terminate());
    return portForward(session, socket, o);
  }
  const offered = String(req.headers['x-stream-protocol-version'] ?? '')
    .split(',')
    .map((s) => s.trim());
  const protocol =
    o.kind === 'portforward'
      ? offered.includes('portforward.k8s.io')
        ? 'portforward.k8s.io'
        : ''
      : (EXEC_PROTOCOLS.find((p) => offered.includes(p)) ?? '');
  if (!protocol) {
    socket.end(
      `HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nunable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(offered)}\n`,
    );
    return;
  }
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`,
  );
  const session = new SpdySession((head, payload) => {
    if (!socket.writable) return;
    if (!payload) return void socket.write(head);
    socket.cork();
    socket.write(head);
    socket.write(payload);
    socket.uncork();
  });
  socket.on('data', (d: Buffer) => session.receive(d));
  socket.on('close', () => session.close());
  socket.on('end', () => session.close());
  session.on('error', () => socket.destroy());
  if (o.kind === 'portforward') return portForward(session, socket, o);
  return remoteCommand(session, socket, o);
}

/** Above this many bytes waiting in the client connection, reading from the pod pauses. */
const HIGH_WATER = 1 << 20;

function portForward(session: SpdySession, socket: Duplex, o: Extract<SpdyServe, { kind: 'portforward' }>): void {
  const pairs = new Map<string, { data?: SpdyStream; error?: SpdyStream }>();
  session.on('stream', (s: SpdyStream) => {
    const id = s.headers.requestid ?? '';
    const type = s.headers.streamtype;
    const pair = pairs.get(id) ?? {};
    if (type === 'data') pair.data = s;
    else if (type === 'error') pair.error = s;
    else return s.reset();
    pairs.set(id, pair);
    if (!pair.data || !pair.error) return;
    pairs.delete(id);
    forward(pair.data, pair.error, Number(pair.data.headers.port), socket, o);
  });
}

function forward(
  data: SpdyStream,
  error: SpdyStream,
  port: number,
  socket: Duplex,
  o: Extract<SpdyServe, { kind: 'portforward' }>,
): void {
  let conn: Duplex;
  const finish = (err?: Error) => {
    if (err) error.write(Buffer.from(`error forwarding port ${port} to pod: ${err.message}`));
    data.end();
    error.end();
  };
  try {
    conn = o.dial(port);
  } catch (err) {
    return finish(err as Error);
  }
  data.on('data', (b: Buffer) => conn.write(b));
  data.on('end', () => conn.end());
  data.on('reset', () => conn.destroy());
  data.on('close', () => conn.destroy());
  // Backpressure as an io.Copy has it: the pod's bytes wait in its socket while the client's
  // connection is behind (else they pile up in this process's memory).
  conn.on('data', (b: Buffer) => {
    data.write(b);
    if (socket.writableLength > HIGH_WATER && !conn.isPaused()) {
      conn.pause();
      socket.once('drain', () => conn.resume());
    }
  });
  conn.on('error', (e) => finish(e));
  conn.on('close', () => finish());
}

function remoteCommand(session: SpdySession, socket: Duplex, o: Extract<SpdyServe, { kind: 'exec' }>): void {
  const want = new Set([
    'error',
    ...(o.flags.stdin ? ['stdin'] : []),
    ...(o.flags.stdout ? ['stdout'] : []),
    ...(o.flags.stderr && !o.flags.tty ? ['stderr'] : []),
    ...(o.flags.tty ? ['resize'] : []),
  ]);
  const got = new Map<string, SpdyStream>();
  let started = false;
  const timer = setTimeout(() => !started && socket.destroy(), 30_000);
  session.on('stream', (s: SpdyStream) => {
    got.set(s.headers.streamtype ?? '', s);
    if (started || ![...want].every((t) => got.has(t))) return;
    started = true;
    clearTimeout(timer);
    let proc: StreamProcess;
    const err = got.get('error')!;
    try {
      proc = o.start();
    } catch (e) {
      err.write(Buffer.from(failureStatus((e as Error).message)));
      err.end();
      return;
    }
    const stdin = got.get('stdin');
    stdin?.on('data', (b: Buffer) => proc.stdin?.write(b));
    stdin?.on('end', () => proc.stdin?.end());
    let pending = '';
    got.get('resize')?.on('data', (b: Buffer) => {
      pending += b.toString();
      for (;;) {
        const end = pending.indexOf('}');
        if (end < 0) break;
        const sz = parseTerminalSize(pending.slice(0, end + 1)); // a bad one is ignored, as kubelet does
        if (sz) proc.resize(sz.cols, sz.rows);
        pending = pending.slice(end + 1);
      }
    });
    const outs: Promise<void>[] = [];
    for (const [src, type] of [
      [proc.stdout, 'stdout'],
      [proc.stderr, 'stderr'],
    ] as const) {
      const dst = got.get(type);
      if (!src) continue;
      outs.push(
        new Promise((r) => {
          src.on('data', (b: Buffer) => dst?.write(b));
          src.on('end', r);
          src.on('close', r);
        }),
      );
    }
    session.on('close', () => proc.kill());
    void proc.exited.then(async (code) => {
      await Promise.race([Promise.all(outs), new Promise((r) => setTimeout(r, 2000))]);
      for (const t of ['stdout', 'stderr']) got.get(t)?.end();
      err.write(Buffer.from(exitStatus(code)));
      err.end();
      setTimeout(() => socket.end(), 100);
    });
  });
}
