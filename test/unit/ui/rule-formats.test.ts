// iptables.render: the request validator, and the server rendering the apiserver's Services in the
// article's and today's formats for a node (the pod network from ConfigMap kube-system/kube-proxy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { iptablesRequestValidators } from '../../../common/iptables-contract.js';
import { ApiRuleFormats } from '../../../server/iptables/rule-formats.js';
import type { KubeClient } from '../../../cluster/client/kube-client.js';
import { kubeProxyConfigMap } from '../../../cluster/agents/proxy/kube-proxy-configmap.js';
import { parseKubeProxyConfig } from '../../../common/kube-proxy-config.js';
import { endpointSlice, service } from '../../support/proxy-objects.js';

test('iptables.render requests: a namespace and one of the three formats', () => {
  const v = iptablesRequestValidators['iptables.render'];
  assert.deepEqual(v({ namespace: 'kw-node5', format: 'article' }, 'req'), {
    namespace: 'kw-node5',
    format: 'article',
  });
  assert.throws(() => v({ namespace: 'kw-node5', format: 'ipvs' }, 'req'), /req\.format/);
  assert.throws(() => v({ namespace: 'kw-node5', format: 'current', x: 1 }, 'req'), /x/);
});

test('the kube-proxy ConfigMap round-trips clusterCIDR, mode and rules', () => {
  const cm = kubeProxyConfigMap('192.168.128.0/18', { mode: 'iptables', rules: 'article' }) as never;
  assert.deepEqual(parseKubeProxyConfig(cm), { clusterCIDR: '192.168.128.0/18', mode: 'iptables', rules: 'article' });
});

test('ApiRuleFormats renders the same Services as the article and as today for node5', async () => {
  const ips = [
    '192.168.131.21',
    '192.168.131.22',
    '192.168.132.72',
    '192.168.132.73',
    '192.168.133.86',
    '192.168.133.87',
  ];
  const fake = {
    resource: () => ({
      get: async () => kubeProxyConfigMap('192.168.128.0/18', { mode: 'iptables', rules: 'article' }),
    }),
    services: {
      list: async () => ({
        items: [service({ name: 'kubia', clusterIP: '192.168.199.234', type: 'NodePort', nodePort: 32681 })],
      }),
    },
    endpointSlices: { list: async () => ({ items: [endpointSlice({ service: 'kubia', endpoints: ips })] }) },
    nodes: { get: async () => ({ status: { addresses: [{ type: 'InternalIP', address: '10.231.209.117' }] } }) },
  } as unknown as KubeClient;
  const f = new ApiRuleFormats(fake);
  const article = await f.render('node5', 'article');
  assert.equal(article.node, 'node5');
  assert.match(
    article.text,
    /-A KUBE-SERVICES -m comment --comment "default\/kubia: cluster IP" -m tcp -p tcp -d 192\.168\.199\.234\/32 --dport 8080 ! -s 192\.168\.128\.0\/18 -j KUBE-MARK-MASQ/,
  );
  assert.match(
    article.text,
    /-A KUBE-SVC-L5EAUEZ74VZL5GSC -m statistic --mode random --probability 0\.16667 -j KUBE-SEP-DHEI6HLVRKMGWFA5/,
  );
  const current = await f.render('node5', 'current');
  assert.match(current.text, /KUBE-SVC-XCCRWSFD2BRL7CRI/);
  assert.match(current.text, /--probability 0\.1666666667/);
  const nft = await f.render('node5', 'nftables');
  assert.match(nft.text, /add element ip kube-proxy service-ips \{ 192\.168\.199\.234 \. tcp \. 8080 : goto service-/);
});
