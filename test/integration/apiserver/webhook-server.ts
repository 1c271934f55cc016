// The admission webhook of admission-webhooks*.test.ts: a real HTTPS server (standing in for a
// pod: the apiserver's lab connector dials the Service's endpoint address POD_IP:8443, here mapped
// to its loopback port; DEAD_IP maps to a closed port) behind an in-memory apiserver with the real
// kubectl. Its paths: /mutate adds the label mutated-by=webhook and warns, /count allows, /validate
// refuses label deny=true, /race and /race-delete make another write while they answer (once per
// object), /slow answers after 3 s. The namespace `hooked` (label webhooks=on) is the one the tests'
// namespaceSelector picks, `quiet` is not.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { createConnection, type AddressInfo } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePki } from '../../../cluster/apiserver/pki.js';
import { NO_KUBECTL, startApiServer, type Harness } from './harness.js';

export const POD_IP = '10.244.7.9';
export const DEAD_IP = '10.244.7.10';

/** One AdmissionReview the webhook received, and the path (with query) it was sent to. */
export interface Seen {
  path: string;
  review: any;
}

/** What the /race and /race-delete paths did. */
export interface RaceState {
  /** /race changed configmap racy once. */
  raced: boolean;
  /** The status of that change. */
  innerStatus: number;
  /** The configmaps whose DELETE /race-delete raced. */
  deleteRaced: Set<string>;
  /** The statuses of /race-delete's own writes, in order. */
  deleteInner: number[];
}

export interface WebhookLab {
  readonly h: Harness;
  readonly seen: Seen[];
  readonly race: RaceState;
  /** The webhook server's CA (base64), and another CA that did not sign it. */
  readonly caBundle: string;
  readonly otherCa: string;
  /** A clientConfig for the webhook Service at `path`, trusting its CA. */
  service(path: string): { service: { namespace: string; name: string; path: string }; caBundle: string };
  /** `kubectl apply` of `obj` (as a JSON file); not checked. */
  applyYaml(obj: unknown): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

/** CREATE and UPDATE of configmaps: the rules of the tests' webhooks. */
export const rules = [
  { operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] },
];
/** The namespaceSelector that picks namespace `hooked`. */
export const selector = { matchLabels: { webhooks: 'on' } };

/**
 * Registers in the enclosing suite a before() that fails when kubectl is missing, then starts the
 * webhook server and the apiserver and makes the webhook's Service, its Endpoints and the two
 * namespaces, and an after() that stops them. The returned lab's fields are set once before() ran.
 */
export function useWebhookLab(): WebhookLab {
  let started: WebhookLab | undefined;
  const made: Made = {};
  const get = () => {
    if (!started) throw new Error('the webhook lab is not started (its before() has not run)');
    return started;
  };
  before(async () => {
    if (NO_KUBECTL) throw new Error(NO_KUBECTL);
    started = await startWebhookLab(made);
  });
  after(async () => {
    // What was made, even when before() failed half way.
    await made.h?.stop();
    made.hook?.close();
    if (made.dir) rmSync(made.dir, { recursive: true, force: true });
  });
  return {
    get h() {
      return get().h;
    },
    get seen() {
      return get().seen;
    },
    get race() {
      return get().race;
    },
    get caBundle() {
      return get().caBundle;
    },
    get otherCa() {
      return get().otherCa;
    },
    service: (path) => get().service(path),
    applyYaml: (obj) => get().applyYaml(obj),
  };
}

/** What startWebhookLab made so far: after() stops and removes it. */
interface Made {
  dir?: string;
  hook?: Server;
  h?: Harness;
}

async function startWebhookLab(made: Made): Promise<WebhookLab> {
  const seen: Seen[] = [];
  const race: RaceState = { raced: false, innerStatus: 0, deleteRaced: new Set(), deleteInner: [] };
  // Set below: the webhook's handler (made first) uses it, and only once the apiserver runs.
  // eslint-disable-next-line prefer-const
  let h: Harness;
  const dir = join(process.env.TMPDIR ?? '/tmp', `kw-webhooks-${process.pid}-${Date.now()}`);
  made.dir = dir;
  const pki = await ensurePki(join(dir, 'hook'), ['DNS:webhook.default.svc', `IP:${POD_IP}`]);
  const otherCa = (await ensurePki(join(dir, 'other'), ['DNS:x'])).caCertPem.toString('base64');
  const caBundle = pki.caCertPem.toString('base64');
  const hook = createServer({ cert: pki.cert, key: pki.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const path = new URL(req.url ?? '/', 'https://x').pathname;
      seen.push({ path: req.url ?? '', review });
      const r = review.request;
      const labels = r.object?.metadata?.labels ?? {};
      const reply = (response: Record<string, unknown>) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            apiVersion: 'admission.k8s.io/v1',
            kind: 'AdmissionReview',
            response: { uid: r.uid, ...response },
          }),
        );
      };
      const patch = (ops: unknown[]) => Buffer.from(JSON.stringify(ops)).toString('base64');
      if (path === '/mutate') {
        const ops = labels['mutated-by'] ? [] : [{ op: 'add', path: '/metadata/labels/mutated-by', value: 'webhook' }];
        if (!r.object.metadata.labels) ops.unshift({ op: 'add', path: '/metadata/labels', value: {} } as never);
        return reply({
          allowed: true,
          warnings: ['mutated by the test webhook'],
          ...(ops.length ? { patchType: 'JSONPatch', patch: patch(ops) } : {}),
        });
      }
      if (path === '/count') {
        // An IfNeeded webhook: it sees the object again when a later webhook changed it.
        return reply({ allowed: true });
      }
      if (path === '/validate') {
        if (labels.deny === 'true')
          return reply({ allowed: false, status: { code: 403, message: 'label deny=true is not allowed here' } });
        return reply({ allowed: true });
      }
      if (path === '/race' && r.name === 'racy' && r.operation === 'UPDATE' && !race.raced) {
        // Another writer changes the object while this webhook is answering.
        race.raced = true;
        void h
          .request('PATCH', '/api/v1/namespaces/hooked/configmaps/racy', {
            body: JSON.stringify({ metadata: { labels: { raced: 'yes' } } }),
            headers: { 'Content-Type': 'application/merge-patch+json' },
          })
          .then((inner) => {
            race.innerStatus = inner.status;
            reply({ allowed: true });
          });
        return;
      }
      if (path === '/race') return reply({ allowed: true });
      if (path === '/race-delete' && r.operation === 'DELETE' && !race.deleteRaced.has(r.name)) {
        // Another writer changes (stale-rv) or replaces (stale-uid) the object while this webhook
        // is answering a DELETE whose preconditions held against the object as it was.
        race.deleteRaced.add(r.name);
        const url = `/api/v1/namespaces/hooked/configmaps/${r.name}`;
        const write =
          r.name === 'stale-rv'
            ? h.request('PATCH', url, {
                body: JSON.stringify({ metadata: { labels: { raced: 'yes' } } }),
                headers: { 'Content-Type': 'application/merge-patch+json' },
              })
            : h.request('DELETE', url).then((gone) => {
                race.deleteInner.push(gone.status);
                return h.request('POST', '/api/v1/namespaces/hooked/configmaps', {
                  body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: r.name } }),
                });
              });
        void write.then((inner) => {
          race.deleteInner.push(inner.status);
          reply({ allowed: true });
        });
        return;
      }
      if (path === '/race-delete') return reply({ allowed: true });
      if (path === '/slow') {
        setTimeout(() => reply({ allowed: true }), 3000);
        return;
      }
      res.writeHead(404);
      res.end();
    });
  });
  made.hook = hook;
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const port = (hook.address() as AddressInfo).port;
  h = await startApiServer({
    memory: true,
    kubelet: {
      dial: (host, p) => {
        if (host === POD_IP && p === 8443) return createConnection(port, '127.0.0.1');
        if (host === DEAD_IP) return createConnection(deadPort, '127.0.0.1');
        throw new Error(`cannot dial ${host}:${p}`);
      },
      tls: { ca: pki.caCertPem, cert: pki.cert, key: pki.key },
    },
  });
  made.h = h;
  const apply = async (obj: unknown) => {
    const f = join(h.dir, `obj-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(f, JSON.stringify(obj));
    const r = await h.kubectl('apply', '-f', f);
    assert.equal(r.exitCode, 0, r.stderr);
  };
  await apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'webhook', namespace: 'default' },
    spec: { ports: [{ name: 'https', port: 443, targetPort: 8443 }] },
  });
  await apply({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'webhook', namespace: 'default' },
    subsets: [{ addresses: [{ ip: POD_IP }], ports: [{ name: 'https', port: 8443 }] }],
  });
  for (const name of ['hooked', 'quiet']) assert.equal((await h.kubectl('create', 'namespace', name)).exitCode, 0);
  assert.equal((await h.kubectl('label', 'namespace', 'hooked', 'webhooks=on')).exitCode, 0);
  return {
    h,
    seen,
    race,
    caBundle,
    otherCa,
    service: (path) => ({ service: { namespace: 'default', name: 'webhook', path }, caBundle }),
    applyYaml: async (obj) => {
      const f = join(h.dir, `cfg-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(f, JSON.stringify(obj));
      return h.kubectl('apply', '-f', f);
    },
  };
}
