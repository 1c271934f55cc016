// Image references as a node reads them: `nginx` is docker.io/library/nginx:latest, a first path
// component with a dot, a colon or "localhost" names a registry. Pure; unit-tested.
import { ValidationError } from '../../common/errors.js';

export const DOCKER_HUB = 'docker.io';
/** The host that serves docker.io's Registry API. */
export const DOCKER_HUB_API = 'registry-1.docker.io';

export interface ImageRef {
  /** Registry host[:port], docker.io for Docker Hub. */
  registry: string;
  /** Repository path, library/nginx for Docker Hub's official images. */
  repository: string;
  tag?: string;
  /** sha256:<64 hex>, when the reference pins a manifest. */
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]{1,5})?$/;

export function isDigest(s: string): boolean {
  return DIGEST.test(s);
}

/** Parses and normalises a reference; throws ValidationError naming what is wrong. */
export function parseImageRef(input: string): ImageRef {
  const bad = (problem: string) => new ValidationError(`image reference '${input}'`, problem);
  if (!input || input.length > 512 || /\s/.test(input)) throw bad('empty, too long or has spaces');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad('the digest must be sha256:<64 lowercase hex>');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`bad tag '${tag}'`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0]!;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = parts.shift()!;
    if (!HOST.test(registry)) throw bad(`bad registry host '${registry}'`);
  }
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_API) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  for (const p of parts)
    if (!COMPONENT.test(p)) throw bad(`bad path component '${p}' (lowercase letters, digits, . _ -)`);
  if (!tag && !digest) tag = 'latest';
  return { registry, repository: parts.join('/'), ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** docker.io/library/nginx:latest, host/repo@sha256:…, or host/repo:tag@sha256:… */
export function formatImageRef(r: ImageRef): string {
  return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

export function normaliseImageRef(input: string): string {
  return formatImageRef(parseImageRef(input));
}

/** The short name a person types: nginx, luksa/kubia, localhost:5000/x:1 (docker's familiar form). */
export function familiarName(r: ImageRef): string {
  if (r.registry !== DOCKER_HUB) return `${r.registry}/${r.repository}`;
  return r.repository.startsWith('library/') ? r.repository.slice('library/'.length) : r.repository;
}
