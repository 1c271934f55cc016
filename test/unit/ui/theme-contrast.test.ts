// WCAG 2.1 AA for the themes as shipped: the colours are read from renderer/styles.css itself, so a
// change there that drops below 4.5:1 for text (3:1 for focus rings and large text) fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PALETTES } from '../../../common/graph-palette.js';

const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
const css = readFileSync(join(root, 'renderer', 'styles.css'), 'utf8');

function themeVars(selector: string): Record<string, string> {
  const at = css.indexOf(selector);
  assert.ok(at >= 0, `${selector} in styles.css`);
  const block = css.slice(css.indexOf('{', at) + 1, css.indexOf('}', at));
  return Object.fromEntries([...block.matchAll(/--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6})/g)].map((m) => [m[1]!, m[2]!]));
}

function luminance(hex: string): number {
  const c = [1, 3, 5]
    .map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!;
}

export function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
}

for (const [name, selector] of [
  ['dark', ':root, [data-theme="dark"]'],
  ['light', '[data-theme="light"]'],
] as const) {
  test(`${name} theme: text colours reach 4.5:1 on every background they sit on, focus 3:1`, () => {
    const v = themeVars(selector);
    const text = ['fg', 'muted', 'accent', 'danger', 'ok', 'warn', 'purple', 'path'];
    const failures: string[] = [];
    for (const t of text) {
      for (const bg of ['bg', 'bg2', 'bg3']) {
        const r = contrast(v[t]!, v[bg]!);
        if (r < 4.5) failures.push(`--${t} on --${bg}: ${r.toFixed(2)}`);
      }
    }
    const pairs: [string, string, number][] = [
      ['status-fg', 'status-bg', 4.5],
      ['status-fg', 'primary-bg', 4.5],
      ['on-accent', 'ok', 4.5],
      ['focus', 'bg', 3],
      ['focus', 'bg2', 3],
    ];
    for (const [fg, bg, min] of pairs) {
      const r = contrast(v[fg]!, v[bg]!);
      if (r < min) failures.push(`--${fg} on --${bg}: ${r.toFixed(2)} < ${min}`);
    }
    assert.deepEqual(failures, []);
  });

  test(`${name} theme: graph labels reach 4.5:1 on the shapes they are drawn on`, () => {
    const p = PALETTES[name];
    for (const [label, bg] of [
      ['text on devices', p.device],
      ['text on pods', p.pod],
      ['text on the background', p.background],
    ] as const) {
      assert.ok(contrast(p.text, bg) >= 4.5, `${label}: ${contrast(p.text, bg).toFixed(2)}`);
    }
    assert.ok(contrast(p.edgeText, p.textBg) >= 4.5, `line labels: ${contrast(p.edgeText, p.textBg).toFixed(2)}`);
  });
}
