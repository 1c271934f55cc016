// kube-system/extension-apiserver-authentication, as kube-apiserver publishes it: how an
// aggregated API server (metrics-server and the like) authenticates requests this apiserver proxies
// to it — the CA of the client certificates it may see directly, and the request-header settings
// (the CA and names of the proxy client certificate, the X-Remote-* headers the user travels in).
import { X509Certificate } from 'node:crypto';
import type { UserInfo } from '../authn/authenticator.js';
import type { ApiContext } from '../http/context.js';
import { createObject, updateObject } from '../http/object-writes.js';

const SYSTEM: UserInfo = { name: 'system:apiserver', uid: 'apiserver', groups: ['system:masters'] };

export function publishExtensionAuthentication(
  ctx: ApiContext,
  clientCaPem: Buffer,
  proxy?: { cert: Buffer; ca: Buffer },
): void {
  const data: Record<string, string> = { 'client-ca-file': clientCaPem.toString('utf8') };
  if (proxy) {
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(proxy.cert).subject)?.[1] ?? '';
    Object.assign(data, {
      'requestheader-client-ca-file': proxy.ca.toString('utf8'),
      'requestheader-allowed-names': JSON.stringify(cn ? [cn] : []),
      'requestheader-username-headers': '["X-Remote-User"]',
      'requestheader-group-headers': '["X-Remote-Group"]',
      'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
      'requestheader-uid-headers': '[]',
    });
  }
  const r = ctx.catalog.find('', 'v1', 'configmaps')!;
  const obj = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'extension-apiserver-authentication', namespace: 'kube-system' },
    data,
  };
  const existing = ctx.store.tryGet(r, 'kube-system', obj.metadata.name);
  if (!existing) createObject(ctx, r, 'kube-system', obj, SYSTEM, { dryRun: false });
  else
    updateObject(ctx, r, 'kube-system', '', { ...structuredClone(existing), data }, existing, SYSTEM, {
      dryRun: false,
    });
}
