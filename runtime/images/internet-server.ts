// The emulated Internet's one process: answers HTTP on :80 of every host address (with that host's
// name) and DNS on UDP :53 of the resolver address (A records of the hosts). Runs inside the lab's
// internet namespace. Usage: node internet-server.js CONFIG.json
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { answerQuery } from './dns-message.js';

interface Config {
  dns: string;
  hosts: { name: string; address: string }[];
}

const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Config;
const byName = new Map<string, string[]>();
const byAddress = new Map<string, string[]>();
for (const h of config.hosts) {
  byName.set(h.name, [...(byName.get(h.name) ?? []), h.address]);
  byAddress.set(h.address, [...(byAddress.get(h.address) ?? []), h.name]);
}

createServer((req, res) => {
  const local = (req.socket.localAddress ?? '').replace(/^::ffff:/, '');
  const names = byAddress.get(local) ?? [local];
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  const name = names.includes(host) ? host : names[0];
  console.log(`${req.socket.remoteAddress} ${req.method} ${name}${req.url}`);
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`Hello from ${name} (${local}) on kubewire's emulated Internet\n`);
}).listen(80, '0.0.0.0');

const dns = createSocket('udp4');
dns.on('message', (msg, rinfo) => {
  dns.send(answerQuery(msg, byName), rinfo.port, rinfo.address);
});
dns.bind(53, config.dns);
console.log(`internet: HTTP on :80 for ${config.hosts.length} hosts, DNS on ${config.dns}:53`);
