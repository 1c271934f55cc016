// The cluster DNS server (what CoreDNS' kubernetes plugin does), run as the kube-dns pod's
// container: answers A queries for the cluster domain from a records file that the control plane
// keeps current from Services and EndpointSlices, and forwards every other name to the upstream
// resolver (the emulated Internet's). Usage: node dns-server.js RECORDS.json
import { createSocket } from 'node:dgram';
import { readFileSync, statSync } from 'node:fs';
import { answerQuery, buildAnswer, parseQuery, RCODE_NXDOMAIN } from '../../../runtime/images/dns-message.js';

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

const server = createSocket('udp4');
const pending = new Map<number, { port: number; address: string; timer: NodeJS.Timeout }>();
const upstream = createSocket('udp4');
let nextId = 1;

upstream.on('message', (msg) => {
  if (msg.length < 2) return;
  const id = msg.readUInt16BE(0);
  const p = pending.get(id);
  if (!p) return;
  pending.delete(id);
  clearTimeout(p.timer);
  const orig = (p as unknown as { origId: number }).origId;
  msg.writeUInt16BE(orig, 0);
  server.send(msg, p.port, p.address);
});

server.on('message', (msg, rinfo) => {
  const q = parseQuery(msg);
  const name = q?.name.replace(/\.$/, '') ?? '';
  const domain = records.domain;
  if (!q || table.has(name) || name === domain || name.endsWith(`.${domain}`)) {
    const answer = q && !table.has(name) ? buildAnswer(msg, q, RCODE_NXDOMAIN, []) : answerQuery(msg, table);
    server.send(answer, rinfo.port, rinfo.address);
    return;
  }
  if (!records.upstream) return;
  const id = (nextId = (nextId % 65535) + 1);
  const copy = Buffer.from(msg);
  const origId = copy.readUInt16BE(0);
  copy.writeUInt16BE(id, 0);
  const timer = setTimeout(() => pending.delete(id), 3000);
  pending.set(id, Object.assign({ port: rinfo.port, address: rinfo.address, timer }, { origId }));
  upstream.send(copy, 53, records.upstream);
});

server.bind(53, '0.0.0.0', () => console.log(`cluster DNS on :53 (records ${file})`));
