// A pod in a lab from `kubewire up` uses its projected service-account token as client libraries
// do in-cluster: it reads /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace} and
// calls the apiserver at $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT — the `kubernetes`
// Service, through kube-proxy's rules and the node's relay, with real TLS verification against the
// published CA. RBAC answers 403 for what the account may not do, 200 once a RoleBinding allows it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { projectRoot } from '../../../runtime/project-root.js';
import { eventually, TestLab } from '../runtime/harness.js';

const KUBECTL = '/usr/bin/kubectl';
const TOPOLOGY = `
name: sa-token
nodeNetwork: 10.231.209.0/24
podNetwork: 192.168.128.0/18
serviceNetwork: 192.168.192.0/18
gateway: { address: 10.231.209.1, uplink: 198.51.100.1/24 }
internet: { router: 198.51.100.2/24, dns: 198.51.100.53, hosts: [] }
nodes:
  - { name: node1, address: 10.231.209.113, subnet: 192.168.128.0/24 }
`;

const lab = new TestLab(TOPOLOGY);
const cli = (args: string[]) =>
  execa(process.execPath, [join(projectRoot(), 'dist', 'cli', 'main.js'), ...args], {
    env: { KUBEWIRE_STATE_DIR: lab.stateBase, KUBEWIRE_PREFIX: lab.prefix, KUBEWIRE_APISERVER_PORT: '0' },
    reject: false,
    timeout: 180_000,
  });
after(() => lab.cleanup());

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
// What client-go's rest.InClusterConfig does, with curl: the token as bearer, the CA to verify.
const CALL = (path: string) =>
  `curl -sS -o /dev/null -w '%{http_code}' --max-time 10 --cacert ${SA_DIR}/ca.crt ` +
  `-H "Authorization: Bearer $(cat ${SA_DIR}/token)" ` +
  `"https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT${path}"`;

test(
  'a pod calls the apiserver with its projected token: 403, then 200 after a RoleBinding',
  { timeout: 400_000 },
  async () => {
    assert.ok(existsSync(KUBECTL), `${KUBECTL} is not installed: npm start installs it (scripts/bootstrap.mjs)`);
    const file = join(lab.stateBase, 'topo.yaml');
    await lab.driver.writeFile(file, TOPOLOGY);
    const up = await cli(['up', file]);
    assert.equal(up.exitCode, 0, up.stderr);
    const kubeconfig = (await cli(['kubeconfig', '--lab', 'sa-token'])).stdout.trim();
    const kubectl = (...args: string[]) =>
      execa(KUBECTL, args, { env: { KUBECONFIG: kubeconfig, HOME: lab.stateBase }, reject: false, timeout: 60_000 });
    const ok = async (...args: string[]) => {
      const r = await kubectl(...args);
      assert.equal(r.exitCode, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const ca = Buffer.from(
      parse(readFileSync(kubeconfig, 'utf8')).clusters[0].cluster['certificate-authority-data'],
      'base64',
    ).toString();

    await ok('create', 'namespace', 'team');
    await ok('create', 'serviceaccount', 'reader', '-n', 'team');
    await ok(
      'run',
      'caller',
      '-n',
      'team',
      '--image=tools',
      '--overrides={"apiVersion":"v1","spec":{"serviceAccountName":"reader"}}',
      '--',
      'sleep',
      'infinity',
    );
    await eventually(async () => {
      const r = await kubectl('get', 'pod', 'caller', '-n', 'team', '-o', 'jsonpath={.status.phase}');
      return r.stdout === 'Running' ? true : undefined;
    }, 180_000);
    const exec = (script: string) => kubectl('exec', '-n', 'team', 'caller', '--', 'sh', '-c', script);

    // The projected volume: a token bound to this pod, the cluster CA, the namespace.
    const pod = JSON.parse(await ok('get', 'pod', 'caller', '-n', 'team', '-o', 'json'));
    const token = (await exec(`cat ${SA_DIR}/token`)).stdout;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    assert.equal(claims.sub, 'system:serviceaccount:team:reader');
    assert.deepEqual(claims['kubernetes.io'].pod, { name: 'caller', uid: pod.metadata.uid });
    assert.equal(claims['kubernetes.io'].node.name, 'node1');
    assert.equal(claims.exp - claims.iat, 3607);
    assert.equal((await exec(`cat ${SA_DIR}/namespace`)).stdout, 'team');
    assert.equal((await exec(`cat ${SA_DIR}/ca.crt`)).stdout, ca.trimEnd()); // execa drops the final newline
    // /var/run is a link to /run in the tools image: the mount shows under its real path.
    const mount = await exec(`grep 'secrets/kubernetes.io/serviceaccount ' /proc/mounts`);
    assert.match(mount.stdout, /\sro[,\s]/, `mounted read-only: ${mount.stdout}`);
    assert.notEqual((await exec(`touch ${SA_DIR}/x`)).exitCode, 0, 'the container cannot write its token folder');

    // Through the kubernetes Service: authenticated as the account, refused until RBAC allows it.
    const env = await exec('echo $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT');
    assert.equal(env.stdout.trim(), '192.168.192.1:443');
    const denied = await eventually(async () => {
      const r = await exec(CALL('/api/v1/namespaces/team/pods'));
      return r.stdout === '403' ? r : undefined;
    }, 30_000);
    assert.equal(denied.stdout, '403');
    const body = await exec(CALL('/api/v1/namespaces/team/pods').replace("-o /dev/null -w '%{http_code}' ", ''));
    assert.match(body.stdout, /User \\"system:serviceaccount:team:reader\\" cannot list resource \\"pods\\"/);
    await ok('create', 'role', 'pod-reader', '-n', 'team', '--verb=get,list', '--resource=pods');
    await ok(
      'create',
      'rolebinding',
      'reader-reads',
      '-n',
      'team',
      '--role=pod-reader',
      '--serviceaccount=team:reader',
    );
    const allowed = await exec(CALL('/api/v1/namespaces/team/pods'));
    assert.equal(allowed.stdout, '200', allowed.stderr);
    // Still nothing outside what the Role grants.
    assert.equal((await exec(CALL('/api/v1/namespaces/team/secrets'))).stdout, '403');
    // A forged token (signature changed) is refused outright.
    const forged = await exec(
      CALL('/api/v1/namespaces/team/pods').replace(`$(cat ${SA_DIR}/token)`, `$(cat ${SA_DIR}/token)x`),
    );
    assert.equal(forged.stdout, '401');

    const down = await cli(['reset', '--lab', 'sa-token']);
    assert.equal(down.exitCode, 0, down.stderr);
  },
);
