// The Kubernetes v1.32 OpenAPI v2 spec vendored in spec/ (see its README): loaded once, lazily,
// since parsing 2.4 MB of JSON costs ~30 ms that a server which is never asked should not pay.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export type Schema = Record<string, any>;

export interface SwaggerSpec {
  swagger: '2.0';
  info: Schema;
  paths: Record<string, Schema>;
  definitions: Record<string, Schema>;
  parameters: Record<string, Schema>;
  security?: unknown;
  securityDefinitions?: unknown;
}

/** The spec's file; dist/ mirrors the source tree, so the source folder is found from here. */
export function specPath(): string {
  const root = process.env.KUBEWIRE_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
  const inDist = join(root, 'cluster', 'apiserver', 'openapi', 'spec', 'swagger.json.gz');
  return inDist;
}

let loaded: SwaggerSpec | undefined;

export function kubernetesSpec(): SwaggerSpec {
  if (!loaded) {
    const spec = JSON.parse(gunzipSync(readFileSync(specPath())).toString('utf8')) as SwaggerSpec;
    if (spec.swagger !== '2.0' || !spec.definitions) throw new Error(`${specPath()}: not an OpenAPI v2 document`);
    loaded = spec;
  }
  return loaded;
}

export const definitionRef = (name: string): string => `#/definitions/${name}`;
export const refName = (ref: string): string => ref.slice(ref.lastIndexOf('/') + 1);
