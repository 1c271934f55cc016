// Records the command lines a learner types into lab terminals (issue 6, "Record"), so that they can
// be saved as a new lab. Lines are rebuilt from the bytes written to the pty, not from its output:
// what the shell echoes depends on readline, prompts and programs; what was typed does not.
import { identifyNamespace } from '../../common/lab-names.js';

export interface RecordedCommand {
  /** The terminal's target as a lab names it: a node, `ns/pod`, or a lab namespace's bare name. */
  target: string;
  line: string;
  at: number;
}

/** Rebuilds lines from typed input: printable characters, BS/DEL edit, CR/LF end a line; escape sequences are dropped. */
export class LineReconstructor {
  private buf = '';
  private esc: 'none' | 'esc' | 'csi' | 'ss3' | 'osc' = 'none';

  constructor(private readonly maxLine = 4096) {}

  /** Feeds input bytes; returns the lines completed by this chunk. */
  push(data: string): string[] {
    const done: string[] = [];
    for (const ch of data) {
      const c = ch.codePointAt(0)!;
      if (this.esc === 'esc') {
        this.esc = ch === '[' ? 'csi' : ch === 'O' ? 'ss3' : ch === ']' ? 'osc' : 'none';
        continue;
      }
      if (this.esc === 'csi') {
        if (c >= 0x40 && c <= 0x7e) this.esc = 'none';
        continue;
      }
      if (this.esc === 'ss3') {
        this.esc = 'none';
        continue;
      }
      if (this.esc === 'osc') {
        if (c === 0x07 || c === 0x1b) this.esc = 'none';
        continue;
      }
      if (c === 0x1b) this.esc = 'esc';
      else if (c === 0x0d || c === 0x0a) {
        const line = this.buf.trim();
        this.buf = '';
        if (line !== '') done.push(line);
      } else if (c === 0x7f || c === 0x08) this.buf = [...this.buf].slice(0, -1).join('');
      else if (c === 0x03 || c === 0x15)
        this.buf = ''; // Ctrl-C, Ctrl-U: the line is abandoned.
      else if (c >= 0x20 && this.buf.length < this.maxLine) this.buf += ch;
    }
    return done;
  }
}

export class CommandRecorder {
  private recording = false;
  private readonly lines = new Map<string, LineReconstructor>();
  private commands: RecordedCommand[] = [];

  constructor(private readonly opts: { prefix: string; now: () => number; maxCommands: number }) {}

  get active(): boolean {
    return this.recording;
  }

  start(): void {
    this.recording = true;
    this.commands = [];
    this.lines.clear();
  }

  stop(): RecordedCommand[] {
    this.recording = false;
    this.lines.clear();
    return this.recorded();
  }

  recorded(): RecordedCommand[] {
    return this.commands.map((c) => ({ ...c }));
  }

  /** Called by the terminal host with every input chunk written to terminal `id` in `namespace`. */
  input(id: string, namespace: string, data: string): void {
    if (!this.recording) return;
    let r = this.lines.get(id);
    if (!r) this.lines.set(id, (r = new LineReconstructor()));
    for (const line of r.push(data)) {
      if (this.commands.length >= this.opts.maxCommands) return;
      this.commands.push({ target: targetOf(this.opts.prefix, namespace), line, at: this.opts.now() });
    }
  }

  /** A closed terminal's half-typed line is dropped. */
  forget(id: string): void {
    this.lines.delete(id);
  }
}

/** `<prefix>default_web` → `default/web`; `<prefix>node5` → `node5` (what labs/lib/lab.sh's kw_ns reads back). */
export function targetOf(prefix: string, namespace: string): string {
  const kind = identifyNamespace(prefix, namespace).kind;
  const bare = namespace.startsWith(prefix) ? namespace.slice(prefix.length) : namespace;
  if (kind === 'pod') {
    const i = bare.indexOf('_');
    if (i > 0) return `${bare.slice(0, i)}/${bare.slice(i + 1)}`;
  }
  return bare;
}
