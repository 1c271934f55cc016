// kubelet's staticPodPath: Pod manifests (YAML or JSON, one or more documents per file) in a
// node's folder, <lab>/nodes/<node>/manifests. A file that does not parse, or a document that is
// not a named Pod, is reported and skipped; it never stops the others.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Pod } from '../../../common/api-types.js';
import { isDnsLabel } from '../../../common/names.js';

export function readStaticManifests(dir: string, report: (problem: string) => void): Pod[] {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => /\.(ya?ml|json)$/.test(f))
      .sort();
  } catch {
    return [];
  }
  const out: Pod[] = [];
  for (const f of files) {
    const path = join(dir, f);
    let docs: unknown[];
    try {
      const parsed = parseAllDocuments(readFileSync(path, 'utf8'));
      const bad = parsed.find((d) => d.errors.length);
      if (bad) throw new Error(bad.errors[0]!.message);
      docs = parsed.map((d) => d.toJSON() as unknown).filter((d) => d !== null);
    } catch (err) {
      report(`${path}: ${(err as Error).message}`);
      continue;
    }
    docs.forEach((d, i) => {
      const pod = d as Pod;
      const where = `${path}: document ${i + 1}`;
      if (pod?.kind !== 'Pod') return report(`${where}: kind must be Pod`);
      const name = pod.metadata?.name ?? '';
      const ns = pod.metadata?.namespace ?? 'default';
      if (!isDnsLabel(name) || !isDnsLabel(ns)) return report(`${where}: metadata.name/namespace must be DNS labels`);
      if (!Array.isArray(pod.spec?.containers) || pod.spec.containers.length === 0)
        return report(`${where}: spec.containers is empty`);
      out.push({ ...pod, metadata: { ...pod.metadata, namespace: ns } });
    });
  }
  return out;
}
