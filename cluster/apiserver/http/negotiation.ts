// What the client asked the response to be: a plain object/list, a meta.k8s.io Table (kubectl get),
// or PartialObjectMetadata (metadata-only clients), from the Accept header's parameters.

export type ResponseForm = 'object' | 'table' | 'metadata';

export function responseForm(accept: string | undefined): ResponseForm {
  if (!accept) return 'object';
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    if (type !== 'application/json' && type !== '*/*') continue;
    const p = Object.fromEntries(params.map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    if (!p.as) return 'object';
    if (p.g === 'meta.k8s.io' && (p.v === 'v1' || p.v === 'v1beta1')) {
      if (p.as === 'Table') return 'table';
      if (p.as === 'PartialObjectMetadata' || p.as === 'PartialObjectMetadataList') return 'metadata';
    }
  }
  return 'object';
}
