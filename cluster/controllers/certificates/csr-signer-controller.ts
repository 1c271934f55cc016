// The CSR signing controller (kube-controller-manager's `csrsigning`) for the two client signers
// the cluster CA serves: kubernetes.io/kube-apiserver-client (any user's client certificate) and
// kubernetes.io/kube-apiserver-client-kubelet (a node's: CN system:node:<name>, O system:nodes, no
// SANs). An approved request that passes the signer's rules gets status.certificate; one that does
// not gets a Failed condition (SignerValidationFailure). Duration: spec.expirationSeconds, at most
// a year (--cluster-signing-duration) and never past the CA; notBefore backdated five minutes.
import type { KubeObject } from '../../../common/api-types.js';
import { isConflict, isNotFound } from '../../client/api-errors.js';
import type { Informer } from '../../client/informer.js';
import { Resources } from '../../client/resources.js';
import type { Disposer } from '../../client/rest-client.js';
import type { ResourceClient } from '../../client/resource-client.js';
import { describeError } from '../../../common/errors.js';
import type { Controller } from '../base-controller.js';
import { QueueWorker } from '../../client/workqueue/queue-worker.js';
import type { ControllerContext } from '../controller-context.js';
import { SignerError, type RequestSubject, X509Signer } from './x509-signer.js';

export const KUBE_APISERVER_CLIENT = 'kubernetes.io/kube-apiserver-client';
export const KUBE_APISERVER_CLIENT_KUBELET = 'kubernetes.io/kube-apiserver-client-kubelet';

const MAX_DURATION_S = 365 * 24 * 3600;
const BACKDATE_MS = 5 * 60_000;

type Condition = { type: string; status: string; reason?: string; message?: string };
type Csr = KubeObject & {
  spec?: { request?: string; signerName?: string; usages?: string[]; expirationSeconds?: number };
  status?: { conditions?: Condition[]; certificate?: string };
};

const KEY_USAGE: Record<string, string> = {
  'digital signature': 'digitalSignature',
  'key encipherment': 'keyEncipherment',
};
const EXT_KEY_USAGE: Record<string, string> = { 'client auth': 'clientAuth' };

/** Why the signer refuses the request, or undefined when it may sign it. */
export function signerRefusal(signer: string, usages: string[], subject: RequestSubject): string | undefined {
  const allowed = ['digital signature', 'key encipherment', 'client auth'];
  const bad = usages.filter((u) => !allowed.includes(u));
  if (bad.length || !usages.includes('client auth'))
    return `invalid usage for client certificate: ${bad.length ? bad.join(', ') : 'client auth is required'}`;
  if (signer === KUBE_APISERVER_CLIENT_KUBELET) {
    if (subject.organizations.length !== 1 || subject.organizations[0] !== 'system:nodes')
      return 'subject organization is not system:nodes';
    if (!subject.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
    if (subject.hasSans) return 'subjectAltNames are not allowed';
  } else if (!subject.commonName) return 'subject common name is required';
  return undefined;
}

export class CsrSignerController implements Controller {
  readonly name = 'csrsigning';
  private readonly worker: QueueWorker;
  private readonly csrs: Informer<Csr>;
  private readonly client: ResourceClient<Csr>;
  private readonly signer: X509Signer;

  constructor(
    private readonly ctx: ControllerContext,
    files: { certFile: string; keyFile: string },
  ) {
    this.client = ctx.client.resource<Csr>(Resources.certificatesigningrequests);
    this.csrs = ctx.informers.informerFor(this.client);
    this.signer = new X509Signer(files.certFile, files.keyFile);
    this.worker = new QueueWorker(this.name, ctx.clock, (k) => this.reconcile(k), {
      workers: ctx.workers,
      onError: ctx.onError,
    });
  }

  start(): Disposer {
    const off = this.csrs.addEventHandler({
      onAdd: (c) => this.worker.enqueue(c),
      onUpdate: (_, c) => this.worker.enqueue(c),
    });
    const stop = this.worker.run();
    return () => {
      off();
      stop();
    };
  }

  idle(): boolean {
    return this.worker.idle();
  }

  private async reconcile(key: string): Promise<void> {
    const csr = this.csrs.store.get(key);
    if (!csr?.spec) return;
    const signer = csr.spec.signerName ?? '';
    if (signer !== KUBE_APISERVER_CLIENT && signer !== KUBE_APISERVER_CLIENT_KUBELET) return;
    const conds = csr.status?.conditions ?? [];
    const is = (t: string) => conds.some((c) => c.type === t && c.status === 'True');
    if (!is('Approved') || is('Denied') || is('Failed') || csr.status?.certificate) return;
    const pem = Buffer.from(csr.spec.request ?? '', 'base64').toString('utf8');
    let refusal: string | undefined;
    let subject: RequestSubject | undefined;
    try {
      subject = await this.signer.inspect(pem);
      refusal = signerRefusal(signer, csr.spec.usages ?? [], subject);
    } catch (err) {
      if (!(err instanceof SignerError)) throw err;
      refusal = `unable to parse csr: ${describeError(err)}`;
    }
    if (refusal) {
      await this.writeStatus(csr, {
        conditions: [...conds, { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: refusal }],
      });
      return;
    }
    const now = this.ctx.clock.now();
    const seconds = Math.min(Math.max(csr.spec.expirationSeconds ?? MAX_DURATION_S, 600), MAX_DURATION_S);
    const caEnd = (await this.signer.caNotAfter()).getTime();
    const usages = csr.spec.usages ?? [];
    const cert = await this.signer.issue(pem, {
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(Math.min(now + seconds * 1000, caEnd)),
      keyUsage: usages.map((u) => KEY_USAGE[u]).filter((u): u is string => !!u),
      extKeyUsage: usages.map((u) => EXT_KEY_USAGE[u]).filter((u): u is string => !!u),
    });
    await this.writeStatus(csr, { conditions: conds, certificate: Buffer.from(cert).toString('base64') });
  }

  private async writeStatus(csr: Csr, status: NonNullable<Csr['status']>): Promise<void> {
    try {
      await this.client.updateStatus({ ...csr, status: { ...csr.status, ...status } });
    } catch (err) {
      // Changed or gone meanwhile: the informer brings the new version, which is looked at again.
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }
}
