// The kubelet's own WebSocket port-forward (pkg/kubelet/cri/streaming/portforward/websocket.go),
// which @kubernetes/client-node's PortForward speaks: `?ports=a,b`, protocol v4.channel.k8s.io (or
// the unversioned channel.k8s.io), two channels per port — 2i data, 2i+1 error — and the server's
// first message on each channel is the port as two little-endian bytes.
import type { WebSocket } from 'ws';
import type { Duplex } from 'node:stream';

export const PORT_FORWARD_WS_PROTOCOLS = ['v4.channel.k8s.io', 'channel.k8s.io'];

export function parsePorts(q: URLSearchParams): number[] {
  const raw = q
    .getAll('ports')
    .flatMap((p) => p.split(','))
    .filter(Boolean);
  if (!raw.length) throw new Error('query parameter "ports" is required');
  return raw.map((p) => {
    if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw new Error(`invalid port ${JSON.stringify(p)}`);
    return Number(p);
  });
}

export function servePortForwardWs(ws: WebSocket, ports: number[], dial: (port: number) => Duplex): void {
  // A large chunk goes as one message in two frames (the channel byte, then the bytes): no copy.
  const send = (ch: number, d: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    if (d.length < 4096) return ws.send(Buffer.concat([Buffer.from([ch]), d]), { binary: true });
    ws.send(Buffer.from([ch]), { binary: true, fin: false });
    ws.send(d, { binary: true, fin: true });
  };
  const conns: Duplex[] = [];
  ports.forEach((port, i) => {
    const pb = Buffer.alloc(2);
    pb.writeUInt16LE(port);
    send(2 * i, pb);
    send(2 * i + 1, pb);
    const c = dial(port);
    conns.push(c);
    c.on('data', (d: Buffer) => send(2 * i, d));
    c.on('error', (e) => send(2 * i + 1, Buffer.from(`error forwarding port ${port}: ${e.message}`)));
    c.on('close', () => ws.readyState === ws.OPEN && ws.close(1000));
  });
  ws.on('message', (data: Buffer) => {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data as unknown as ArrayBuffer);
    if (!buf.length) return;
    const ch = buf[0]!;
    if (ch % 2 !== 0 || ch / 2 >= conns.length) return;
    if (buf.length > 1) conns[ch / 2]!.write(buf.subarray(1));
  });
  ws.on('close', () => conns.forEach((c) => c.destroy()));
}
