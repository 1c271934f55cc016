// Signs a PEM certificate request with the cluster CA through the openssl CLI (argument arrays, no
// shell), as the CSR signer controller needs it: the request's own signature checked first, its
// subject read, and the certificate issued with exact notBefore/notAfter (`openssl ca`'s
// -startdate/-enddate; `x509 -req` only knows whole days) and only the extensions the signer
// chose — nothing the requester asked for is copied. Each signing has its own private folder.
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { KubewireError } from '../../../common/errors.js';

export class SignerError extends KubewireError {}

export interface RequestSubject {
  commonName: string;
  organizations: string[];
  /** The request asks for subjectAltNames (DNS, IP, email, URI). */
  hasSans: boolean;
}

export interface IssueOptions {
  notBefore: Date;
  notAfter: Date;
  keyUsage: string[];
  extKeyUsage: string[];
}

const CA_CONFIG = `[ ca ]
default_ca = kw
[ kw ]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = anything
unique_subject = no
email_in_dn = no
[ anything ]
countryName = optional
stateOrProvinceName = optional
localityName = optional
organizationName = optional
organizationalUnitName = optional
commonName = optional
emailAddress = optional
`;

export class X509Signer {
  constructor(
    private readonly caCertFile: string,
    private readonly caKeyFile: string,
  ) {}

  /** When the CA itself stops being valid (no certificate may outlive it). */
  async caNotAfter(): Promise<Date> {
    return new Date(new X509Certificate(await readFile(this.caCertFile)).validTo);
  }

  /** Checks the request's self-signature and reads its subject; throws SignerError when it is not a valid request. */
  async inspect(pem: string): Promise<RequestSubject> {
    return this.inFolder(async (dir) => {
      const csr = join(dir, 'request.pem');
      await writeFile(csr, pem, { mode: 0o600 });
      await run(['req', '-in', csr, '-noout', '-verify'], 'the request signature does not verify');
      const subj = await run(
        ['req', '-in', csr, '-noout', '-subject', '-nameopt', 'utf8,sep_multiline,sname'],
        'the request subject cannot be read',
      );
      const text = await run(['req', '-in', csr, '-noout', '-text'], 'the request cannot be read');
      const parts = subj
        .split('\n')
        .map((l) => /^\s+(\w+)=(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => !!m);
      return {
        commonName: parts.find((m) => m[1] === 'CN')?.[2] ?? '',
        organizations: parts.filter((m) => m[1] === 'O').map((m) => m[2]!),
        hasSans: /X509v3 Subject Alternative Name/.test(text),
      };
    });
  }

  /** The PEM certificate for the request. */
  async issue(pem: string, o: IssueOptions): Promise<string> {
    return this.inFolder(async (dir) => {
      const csr = join(dir, 'request.pem');
      await writeFile(csr, pem, { mode: 0o600 });
      await writeFile(join(dir, 'ca.cnf'), CA_CONFIG);
      await writeFile(join(dir, 'index.txt'), '');
      const serial = randomBytes(16);
      serial[0]! &= 0x7f;
      await writeFile(join(dir, 'serial'), serial.toString('hex') + '\n');
      const ext = ['basicConstraints=critical,CA:FALSE'];
      if (o.keyUsage.length) ext.push(`keyUsage=critical,${o.keyUsage.join(',')}`);
      if (o.extKeyUsage.length) ext.push(`extendedKeyUsage=${o.extKeyUsage.join(',')}`);
      await writeFile(join(dir, 'ext'), ext.join('\n') + '\n');
      const out = join(dir, 'cert.pem');
      await run(
        [
          'ca',
          '-batch',
          '-config',
          'ca.cnf',
          '-cert',
          this.caCertFile,
          '-keyfile',
          this.caKeyFile,
          '-in',
          csr,
          '-out',
          out,
          '-startdate',
          generalizedTime(o.notBefore),
          '-enddate',
          generalizedTime(o.notAfter),
          '-extfile',
          'ext',
          '-notext',
          '-preserveDN',
          '-utf8',
        ],
        'signing failed',
        dir,
      );
      return readFile(out, 'utf8');
    });
  }

  private async inFolder<T>(f: (dir: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'kw-csr-'));
    try {
      return await f(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

async function run(args: string[], what: string, cwd?: string): Promise<string> {
  try {
    const r = await execa('openssl', args, { ...(cwd ? { cwd } : {}), stdin: 'ignore' });
    return String(r.stdout);
  } catch (err) {
    throw new SignerError(what, { cause: err });
  }
}

/** YYYYMMDDHHMMSSZ, what `openssl ca -startdate/-enddate` take. */
function generalizedTime(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}
