// apiserver_request_total, as kube-apiserver counts it (k8s.io/apiserver/pkg/endpoints/metrics):
// one counter per verb, group, version, resource, subresource, scope, component and HTTP code,
// served at /metrics in Prometheus' text format. A learner (or a lab's check) sees there that a
// write was refused with 409 Conflict, which leaves no other trace on the server.
import type { ServerResponse } from 'node:http';
import type { RequestInfo } from './http/request-info.js';

/** The route's verb as kube-apiserver reports it (HTTP-like: POST, PUT; LIST, WATCH, APPLY). */
const ROUTE_VERBS: Record<string, string> = { create: 'POST', update: 'PUT' };
function metricVerb(info: RequestInfo, contentType: string | undefined): string {
  if (info.verb === 'patch' && contentType?.startsWith('application/apply-patch')) return 'APPLY';
  return ROUTE_VERBS[info.verb] ?? info.verb.toUpperCase();
}

/** k8s.io/apiserver's CleanScope: one object (or a create), a namespace's collection, or all. */
function scopeOf(info: RequestInfo): string {
  if (info.name || info.verb === 'create') return 'resource';
  if (info.namespace) return 'namespace';
  return 'cluster';
}

export class RequestMetrics {
  private readonly counts = new Map<string, number>();

  /** Counts the request once its answer is written (a watch when it ends). */
  observe(info: RequestInfo, contentType: string | undefined, res: ServerResponse): void {
    if (!info.isResourceRequest) return;
    const labels = {
      code: '',
      component: 'apiserver',
      dry_run: '',
      group: info.apiGroup,
      resource: info.resource,
      scope: scopeOf(info),
      subresource: info.subresource ?? '',
      verb: metricVerb(info, contentType),
      version: info.apiVersion,
    };
    res.once('close', () => {
      labels.code = String(res.statusCode);
      const key = Object.entries(labels)
        .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
        .join(',');
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    });
  }

  /** The Prometheus text exposition of the counters. */
  text(): string {
    const lines = [
      '# HELP apiserver_request_total [STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      '# TYPE apiserver_request_total counter',
    ];
    for (const [k, v] of [...this.counts].sort()) lines.push(`apiserver_request_total{${k}} ${v}`);
    return lines.join('\n') + '\n';
  }
}
