// The kubia image: the book's tiny HTTP app on :8080 answering with its pod's hostname, so a
// learner can see which pod a request reached. Runs inside a pod sandbox (hostname = pod name).
import { createServer } from 'node:http';
import { hostname } from 'node:os';

const port = Number(process.argv[2] ?? 8080);
console.log('Kubia server starting...');
createServer((req, res) => {
  console.log(`Received request from ${req.socket.remoteAddress}`);
  res.writeHead(200);
  res.end(`You've hit ${hostname()}\n`);
}).listen(port);
