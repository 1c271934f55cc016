// Turns a request's method and path into what authorization and the handlers reason about, as
// k8s.io/apiserver's RequestInfoFactory does: verb, group, version, namespace, resource, name,
// subresource — or a non-resource path such as /version.
import { goBool } from './query-params.js';

export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  verb: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** Path segments after /api or /apis/<group> (for discovery requests). */
  parts: string[];
}

/** A path segment unescaped; a bad escape is kept as written (Go's url.PathUnescape fails the same request with 400 earlier). */
function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function parseRequestInfo(method: string, url: URL): RequestInfo {
  const path = url.pathname;
  const lowerMethod = method.toLowerCase();
  const info: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: lowerMethod,
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    parts: [],
  };
  const segs = path.split('/').filter((s, i) => i > 0 || s !== '');
  const clean = segs[0] === '' ? segs.slice(1) : segs;
  if (clean[clean.length - 1] === '') clean.pop();
  let rest: string[];
  if (clean[0] === 'api') {
    if (clean.length < 2) return info;
    info.apiVersion = clean[1]!;
    rest = clean.slice(2);
  } else if (clean[0] === 'apis') {
    if (clean.length < 3) return info;
    info.apiGroup = clean[1]!;
    info.apiVersion = clean[2]!;
    rest = clean.slice(3);
  } else {
    return info;
  }
  if (rest.length === 0) return info;
  info.isResourceRequest = true;
  info.parts = rest.map(decodeSegment);
  rest = info.parts;
  // /namespaces/{ns}/{resource}... is namespaced; /namespaces/{name}[/sub] is the namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 2) {
    info.namespace = rest[1]!;
    if (rest.length > 2 && rest[2] !== 'status' && rest[2] !== 'finalize') rest = rest.slice(2);
  }
  info.resource = rest[0] ?? '';
  info.name = rest[1] ?? '';
  info.subresource = rest[2] ?? '';
  if (rest.length > 3) info.subresource = rest.slice(2).join('/');
  // apimachinery's boolean: anything but "0" or "false" (any case) is true, so watch=True watches.
  const watch = goBool(url.searchParams.getAll('watch'));
  switch (lowerMethod) {
    case 'get':
    case 'head':
      info.verb = info.name ? 'get' : watch ? 'watch' : 'list';
      break;
    case 'post':
      info.verb = 'create';
      break;
    case 'put':
      info.verb = 'update';
      break;
    case 'patch':
      info.verb = 'patch';
      break;
    case 'delete':
      info.verb = info.name ? 'delete' : 'deletecollection';
      break;
  }
  // A watch of one object is `?fieldSelector=metadata.name=x&watch=1` on the list, or a get with watch.
  if (info.verb === 'get' && watch) info.verb = 'watch';
  return info;
}
