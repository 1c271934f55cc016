// The cluster's certificates, made at first start with the openssl CLI (argument arrays, no shell):
// a CA, and the apiserver's serving certificate for every name and address clients use
// (127.0.0.1, the `kubernetes` service IP, the lab-facing listen addresses). The serving
// certificate is reissued when that list of names changes.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { KubewireError } from '../../common/errors.js';

export interface Pki {
  caCert: string;
  caCertPem: Buffer;
  cert: Buffer;
  key: Buffer;
}

export class PkiError extends KubewireError {}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execa('openssl', args, { cwd });
  } catch (err) {
    throw new PkiError(`openssl ${args[0]} failed`, { cause: err });
  }
}

/** DNS names and IPs the serving certificate must carry. */
export function servingNames(ips: string[], extraDns: string[] = []): string[] {
  const dns = [
    'localhost',
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
    ...extraDns,
  ];
  const ipSet = [...new Set(['127.0.0.1', ...ips])];
  return [...dns.map((d) => `DNS:${d}`), ...ipSet.map((ip) => `IP:${ip}`)];
}

export async function ensurePki(dir: string, sans: string[]): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  if (!existsSync(ca) || !existsSync(caKey)) {
    await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', caKey], dir);
    await openssl(
      [
        'req',
        '-x509',
        '-new',
        '-key',
        caKey,
        '-subj',
        '/CN=kubewire-ca',
        '-days',
        '3650',
        '-out',
        ca,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
      ],
      dir,
    );
  }
  const crt = join(dir, 'apiserver.crt');
  const key = join(dir, 'apiserver.key');
  const sanFile = join(dir, 'apiserver.sans');
  const wanted = sans.join(',');
  if (!existsSync(crt) || !existsSync(key) || !existsSync(sanFile) || readFileSync(sanFile, 'utf8') !== wanted) {
    const ext = join(dir, 'apiserver.ext');
    writeFileSync(
      ext,
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${wanted}\n`,
    );
    await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], dir);
    await openssl(['req', '-new', '-key', key, '-subj', '/CN=kube-apiserver', '-out', join(dir, 'apiserver.csr')], dir);
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        join(dir, 'apiserver.csr'),
        '-CA',
        ca,
        '-CAkey',
        caKey,
        '-CAcreateserial',
        '-days',
        '825',
        '-out',
        crt,
        '-extfile',
        ext,
      ],
      dir,
    );
    writeFileSync(sanFile, wanted);
  }
  return { caCert: ca, caCertPem: readFileSync(ca), cert: readFileSync(crt), key: readFileSync(key) };
}
