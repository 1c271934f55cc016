// Starts a real apiserver (HTTPS, tokens, RBAC, admission) on a free loopback port over a fresh
// store in a temporary folder, and offers raw HTTPS requests and the real kubectl against it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest, Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ApiServer, DEFAULT_CONFIG } from '../../../cluster/apiserver/api-server.js';
import { openBackend } from '../../../cluster/apiserver/open-backend.js';
import type { Backend } from '../../../cluster/store/backend.js';
import type { KubeletConnector } from '../../../cluster/apiserver/http/kubelet-proxy.js';

export const KUBECTL = '/usr/bin/kubectl';
export const hasKubectl = existsSync(KUBECTL);
export const NO_KUBECTL = hasKubectl
  ? false
  : `${KUBECTL} is not installed; the kubectl compatibility tests need the real binary`;

export interface Harness {
  server: ApiServer;
  backend: Backend;
  dir: string;
  kubeconfig: string;
  token: string;
  request(
    method: string,
    path: string,
    opts?: { body?: string | Buffer; headers?: Record<string, string>; token?: string | null },
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string; json: any }>;
  kubectl(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export async function startApiServer(
  opts: { bookmarkIntervalMs?: number; memory?: boolean; kubelet?: KubeletConnector } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'kw-apiserver-test-'));
  const backend = openBackend(opts.memory ? undefined : join(dir, 'store.db'));
  const server = new ApiServer({
    backend,
    config: {
      ...DEFAULT_CONFIG,
      stateDir: join(dir, 'apiserver'),
      listen: [{ host: '127.0.0.1', port: 0 }],
      bookmarkIntervalMs: opts.bookmarkIntervalMs,
    },
    kubelet: opts.kubelet,
  });
  let stopServer: () => Promise<void>;
  try {
    stopServer = await server.start();
  } catch (err) {
    backend.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const ca = readFileSync(server.caPath);
  const agent = new Agent({ ca, keepAlive: true });
  const token = server.adminToken;
  const h: Harness = {
    server,
    backend,
    dir,
    kubeconfig: server.kubeconfigPath,
    token,
    request(method, path, o = {}) {
      return new Promise((resolve, reject) => {
        const headers: Record<string, string> = { ...(o.headers ?? {}) };
        const tok = o.token === undefined ? token : o.token;
        if (tok !== null) headers.Authorization = `Bearer ${tok}`;
        if (o.body !== undefined && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
        // Node sends DELETE bodies without chunking, so the length must be given.
        if (o.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(o.body));
        const req = httpsRequest(server.url + path, { method, headers, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: any;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
        });
        req.on('error', reject);
        if (o.body !== undefined) req.write(o.body);
        req.end();
      });
    },
    async kubectl(...args) {
      const r = await execa(KUBECTL, args, {
        env: { KUBECONFIG: server.kubeconfigPath, HOME: dir },
        reject: false,
        timeout: 30_000,
      });
      return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
    async stop() {
      agent.destroy();
      await stopServer();
      backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
