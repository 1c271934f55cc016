// x509 client-certificate authentication (kube-apiserver's --client-ca-file): a client that shows a
// certificate the cluster CA signed, for client authentication, is the user named by its subject —
// CN the user name, each O a group. This is how a CSR-signed kubelet or user certificate logs in.
import type { TLSSocket } from 'node:tls';
import type {
  AuthenticationRequest,
  AuthenticationResult,
  Authenticator,
  VerifiedClientCert,
} from './authenticator.js';

export class ClientCertAuthenticator implements Authenticator {
  readonly name = 'x509';

  authenticate(req: AuthenticationRequest): AuthenticationResult {
    const c = req.clientCert;
    if (!c) return undefined;
    if (!c.commonName) return { rejected: 'x509: certificate has no common name' };
    return { user: { name: c.commonName, uid: '', groups: c.organizations } };
  }
}

/**
 * The verified client certificate of a TLS connection, if any. Node verifies the chain against the
 * server's `ca` (requestCert with rejectUnauthorized false, so clients without one still connect);
 * the extended key usage must allow client authentication, as Go's x509 verification demands.
 */
export function verifiedClientCert(socket: unknown): VerifiedClientCert | undefined {
  const s = socket as Partial<TLSSocket>;
  if (typeof s.getPeerCertificate !== 'function' || !s.authorized) return undefined;
  const cert = s.getPeerCertificate();
  if (!cert || !cert.subject) return undefined;
  const eku = (cert as { ext_key_usage?: string[] }).ext_key_usage;
  if (eku && !eku.includes('1.3.6.1.5.5.7.3.2')) return undefined;
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return { commonName: list(cert.subject.CN)[0] ?? '', organizations: list(cert.subject.O) };
}
