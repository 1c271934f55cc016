// Nesting depth of a YAML text, measured before the text reaches the `yaml` composer. The composer
// recurses once per level and uses about 1 KiB of stack for each: a body nested a few thousand
// levels deep (`{"a":{"a":…}}`, or `- - - - …`, two bytes a level) overflows the stack. Where the
// overflow lands inside V8's regexp compiler (V8 compiles a regexp at its first use and again when
// it tiers up to native code; the composer tests every scalar with regexps), V8 does not throw a
// RangeError but aborts the process ("RegExpCompiler Allocation failed -
// process out of memory"): one request would kill the apiserver. yaml's CST parser keeps its own
// stack, so it measures any depth safely, and the walk below is iterative too.
import { Composer, LineCounter, Parser, YAMLParseError } from 'yaml';
import type { CST, Document, DocumentOptions, ParseOptions, SchemaOptions } from 'yaml';

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
  return tokensDepth(new Parser().parse(text), cap);
}

function tokensDepth(tokens: Iterable<CST.Token>, cap: number): number {
  let max = 0;
  for (const token of tokens) {
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

/** Throws YamlTooDeepError when `text` nests deeper than `limit`. */
export function assertYamlDepth(text: string, limit = MAX_YAML_DEPTH): void {
  if (yamlDepth(text, limit) > limit) throw new YamlTooDeepError(limit);
}

export type YamlOptions = ParseOptions & DocumentOptions & SchemaOptions;

/**
 * yaml's parseDocument() with the depth check between its two stages, so the text is parsed into
 * tokens once (the CST parse is most of the cost: ~half of a 500 KiB topology's time). Throws
 * YamlTooDeepError; other problems are in the document's `errors`, with `linePos` set.
 */
export function parseYamlDocument(source: string, options: YamlOptions = {}, limit = MAX_YAML_DEPTH): Document.Parsed {
  const lines = new LineCounter();
  const tokens = [...new Parser(lines.addNewLine).parse(source)];
  if (tokensDepth(tokens, limit) > limit) throw new YamlTooDeepError(limit);
  let doc: Document.Parsed | undefined;
  for (const d of new Composer(options).compose(tokens, true, source.length)) {
    if (!doc) doc = d;
    else {
      doc.errors.push(
        new YAMLParseError(
          d.range.slice(0, 2) as [number, number],
          'MULTIPLE_DOCS',
          'Source contains multiple documents',
        ),
      );
      break;
    }
  }
  // compose(…, true, …) always yields a document, an empty one for an empty text.
  for (const e of doc!.errors) e.linePos ??= [lines.linePos(e.pos[0]), lines.linePos(e.pos[1])];
  return doc!;
}

/** yaml's parse() (the first error thrown), depth-checked first and parsed once. */
export function parseYaml(source: string, options: YamlOptions = {}, limit = MAX_YAML_DEPTH): unknown {
  const doc = parseYamlDocument(source, options, limit);
  if (doc.errors.length > 0) throw doc.errors[0];
  return doc.toJS(options);
}
