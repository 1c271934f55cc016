// Nesting depth of a YAML text, measured before the text reaches the `yaml` composer. The composer
// recurses once per level and uses about 1 KiB of stack for each: a body nested a few thousand
// levels deep (`{"a":{"a":…}}`, or `- - - - …`, two bytes a level) overflows the stack. Where the
// overflow lands inside V8's regexp compiler (V8 compiles a regexp at its first use and again when
// it tiers up to native code; the composer tests every scalar with regexps), V8 does not throw a
// RangeError but aborts the process ("RegExpCompiler Allocation failed -
// process out of memory"): one request would kill the apiserver. yaml's CST parser keeps its own
// stack, so it measures any depth safely, and the walk below is iterative too.
import { Parser } from 'yaml';
import type { CST } from 'yaml';

/**
 * Deepest YAML nesting the decoders accept. Far above any Kubernetes object or topology (the
 * deepest CRD schemas are a few dozen levels) and far below the composer's stack overflow (~900
 * levels on Node's default stack, less when the parse starts deep in a request's call chain).
 */
export const MAX_YAML_DEPTH = 200;

export class YamlTooDeepError extends Error {
  constructor(readonly limit: number) {
    super(`exceeded max depth of ${limit}`);
    this.name = 'YamlTooDeepError';
  }
}

/** The deepest collection nesting in `text`'s documents, counting stops once past `cap`. */
export function yamlDepth(text: string, cap = Infinity): number {
  let max = 0;
  for (const token of new Parser().parse(text)) {
    if (token.type !== 'document') continue;
    const stack: [CST.Token | null | undefined, number][] = [[token.value, 0]];
    while (stack.length) {
      const [t, d] = stack.pop()!;
      if (!t) continue;
      if (t.type !== 'block-map' && t.type !== 'block-seq' && t.type !== 'flow-collection') continue;
      if (d + 1 > max) max = d + 1;
      if (max > cap) return max;
      for (const item of t.items) {
        if ('key' in item) stack.push([item.key, d + 1]);
        stack.push([item.value, d + 1]);
      }
    }
  }
  return max;
}

/** Throws YamlTooDeepError when `text` nests deeper than `limit`; call it before yaml's parse(). */
export function assertYamlDepth(text: string, limit = MAX_YAML_DEPTH): void {
  if (yamlDepth(text, limit) > limit) throw new YamlTooDeepError(limit);
}
