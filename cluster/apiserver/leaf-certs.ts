// Leaf certificates signed by the cluster CA (ca.crt/ca.key in the apiserver's state folder), made
// with the openssl CLI like the CA itself: the apiserver's kubelet client certificate
// (kube-apiserver's --kubelet-client-certificate) and each kubelet's serving certificate (what a
// real kubelet gets through a CSR the controller-manager signs; here the cluster process signs it
// directly, as it holds the CA). Reissued when the subject or the names change.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { execa } from 'execa';
import { PkiError } from './pki.js';

export interface LeafCert {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

export interface LeafRequest {
  /** Folder for <name>.crt/.key (0700). */
  dir: string;
  name: string;
  commonName: string;
  organizations?: string[];
  usage: 'client' | 'server';
  /** subjectAltName entries (DNS:x, IP:y) for a server certificate. */
  sans?: string[];
}

const NAME = /^[a-z0-9][a-z0-9.-]{0,62}$/;
const SUBJECT_PART = /^[A-Za-z0-9:._ -]{1,64}$/;

export async function ensureLeafCert(caDir: string, r: LeafRequest): Promise<LeafCert> {
  if (!NAME.test(r.name)) throw new PkiError(`bad certificate file name ${JSON.stringify(r.name)}`);
  for (const p of [r.commonName, ...(r.organizations ?? [])])
    if (!SUBJECT_PART.test(p)) throw new PkiError(`bad certificate subject part ${JSON.stringify(p)}`);
  for (const s of r.sans ?? [])
    if (!/^(DNS:[A-Za-z0-9.-]+|IP:[0-9.]+)$/.test(s)) throw new PkiError(`bad subjectAltName ${JSON.stringify(s)}`);
  mkdirSync(r.dir, { recursive: true, mode: 0o700 });
  const ca = join(caDir, 'ca.crt');
  const caKey = join(caDir, 'ca.key');
  const crt = join(r.dir, `${r.name}.crt`);
  const key = join(r.dir, `${r.name}.key`);
  const stamp = join(r.dir, `${r.name}.subject`);
  const subject = `/${(r.organizations ?? []).map((o) => `O=${o}/`).join('')}CN=${r.commonName}`;
  const wanted = `${subject} ${(r.sans ?? []).join(',')} ${readFileSync(ca, 'utf8').length}`;
  if (!existsSync(crt) || !existsSync(key) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
    const ext = join(r.dir, `${r.name}.ext`);
    const lines = [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${r.usage === 'client' ? 'clientAuth' : 'serverAuth'}`,
    ];
    if (r.sans?.length) lines.push(`subjectAltName=${r.sans.join(',')}`);
    writeFileSync(ext, lines.join('\n') + '\n');
    const csr = join(r.dir, `${r.name}.csr`);
    try {
      await execa('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
      await execa('openssl', ['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
      // A random serial per leaf (as CAs do), not -CAcreateserial: nodes start several at a time and
      // concurrent openssl runs raced on the shared ca.srl ("issuing kubelet certificate failed").
      const serial = randomBytes(16);
      serial[0]! &= 0x7f;
      await execa('openssl', [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        ca,
        '-CAkey',
        caKey,
        '-set_serial',
        `0x${serial.toString('hex')}`,
        '-days',
        '825',
        '-out',
        crt,
        '-extfile',
        ext,
      ]);
    } catch (err) {
      throw new PkiError(`issuing ${r.name} certificate failed`, { cause: err });
    }
    writeFileSync(stamp, wanted);
  }
  return { cert: readFileSync(crt), key: readFileSync(key), ca: readFileSync(ca) };
}
