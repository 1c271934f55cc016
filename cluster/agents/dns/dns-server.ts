// The cluster DNS server (what CoreDNS' kubernetes plugin does), run as the kube-dns pod's
// container: answers A queries for the cluster domain, on 53/udp and 53/tcp, from a records file
// that the control plane keeps current from Services and EndpointSlices, and forwards every other
// name to the upstream resolver (the emulated Internet's). Messages are read and written by
// dns-packet (runtime/images/dns-message.ts). Usage: node dns-server.js RECORDS.json
import { createSocket } from 'node:dgram';
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import {
  answerFor,
  formatError,
  parseQuery,
  TcpFramer,
  tcpFrame,
  type DnsQuestion,
} from '../../../runtime/images/dns-message.js';

interface Records {
  domain: string;
  upstream: string;
  names: Record<string, string[]>;
}

const file = process.argv[2]!;
let records: Records = { domain: 'cluster.local', upstream: '', names: {} };
let table = new Map<string, string[]>();
let mtime = 0;

function reload(): void {
  try {
    const m = statSync(file).mtimeMs;
    if (m === mtime) return;
    records = JSON.parse(readFileSync(file, 'utf8')) as Records;
    table = new Map(Object.entries(records.names));
    mtime = m;
  } catch {
    /* not written yet, or being replaced: keep the last good table */
  }
}
reload();
setInterval(reload, 200).unref();

/** Ours to answer: a name of the table or of the cluster domain (NXDOMAIN when not in the table). */
const isLocal = (q: DnsQuestion) =>
  table.has(q.name) || q.name === records.domain || q.name.endsWith(`.${records.domain}`);

// Other names go to the upstream resolver over UDP, under an id of ours; its answer goes back to
// whoever asked (a UDP client or a TCP connection) under the client's id.
const pending = new Map<number, { reply: (msg: Buffer) => void; origId: number; timer: NodeJS.Timeout }>();
const upstream = createSocket('udp4');
let nextId = 1;

upstream.on('message', (msg) => {
  if (msg.length < 2) return;
  const p = pending.get(msg.readUInt16BE(0));
  if (!p) return;
  pending.delete(msg.readUInt16BE(0));
  clearTimeout(p.timer);
  msg.writeUInt16BE(p.origId, 0);
  p.reply(msg);
});

/** One query, from UDP or TCP: answered here, forwarded upstream, or (unreadable) FORMERR. */
function handle(msg: Buffer, reply: (answer: Buffer) => void): void {
  const q = parseQuery(msg);
  if (!q) return reply(formatError(msg));
  if (isLocal(q)) return reply(answerFor(q, table));
  if (!records.upstream) return;
  const id = (nextId = (nextId % 65535) + 1);
  const copy = Buffer.from(msg);
  copy.writeUInt16BE(id, 0);
  const timer = setTimeout(() => pending.delete(id), 3000);
  pending.set(id, { reply, origId: q.id, timer });
  upstream.send(copy, 53, records.upstream);
}

const udp = createSocket('udp4');
udp.on('message', (msg, rinfo) => handle(msg, (answer) => udp.send(answer, rinfo.port, rinfo.address)));
udp.bind(53, '0.0.0.0', () => console.log(`cluster DNS on :53/udp (records ${file})`));

// DNS over TCP, as the kube-dns Service's dns-tcp port promises: length-framed messages, several
// per connection (RFC 7766), an idle connection closed after 10 s as CoreDNS does.
const tcp = createServer((sock) => {
  sock.setTimeout(10_000, () => sock.destroy());
  sock.on('error', () => sock.destroy());
  const framer = new TcpFramer((msg) =>
    handle(msg, (answer) => {
      if (!sock.destroyed) sock.write(tcpFrame(answer));
    }),
  );
  sock.on('data', (chunk: Buffer) => {
    if (!framer.push(chunk)) sock.destroy();
  });
});
tcp.listen(53, '0.0.0.0', () => console.log(`cluster DNS on :53/tcp (records ${file})`));
