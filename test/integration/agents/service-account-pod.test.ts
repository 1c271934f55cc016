// A pod in a lab from `kubewire up` uses its projected service-account token as client libraries
// do in-cluster: it reads /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace} and
// calls the apiserver at $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT — the `kubernetes`
// Service, through kube-proxy's rules and the node's relay, with real TLS verification against the
// published CA. RBAC answers 403 for what the account may not do, 200 once a RoleBinding allows it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { restConfigFromKubeconfig } from '../../../cluster/client/kubeconfig-file.js';
import { assertKubectlInstalled, kubectlOn, upWithKubeconfig } from '../../helpers/kubectl-lab.js';
import { labTopology, NODE1 } from '../../helpers/lab-topology.js';
import { eventually, TestLab } from '../runtime/harness.js';

const TOPOLOGY = labTopology('sa-token', [NODE1], { hosts: [] });

const lab = new TestLab(TOPOLOGY);
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
    assertKubectlInstalled();
    const { kubeconfig } = await upWithKubeconfig(lab, TOPOLOGY, 180_000);
    const k = kubectlOn(kubeconfig, lab.stateBase);
    const kubectl = (...args: string[]) => k.run(args);
    const ok = async (...args: string[]) => (await k.ok(args)).stdout;
    const ca = String(restConfigFromKubeconfig(kubeconfig, 'kubewire-test').ca);

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

    const down = await lab.cli(['reset', '--lab', 'sa-token'], { timeoutMs: 180_000 });
    assert.equal(down.exitCode, 0, down.stderr);
  },
);
