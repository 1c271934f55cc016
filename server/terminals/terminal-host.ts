// The terminal host's contract: shells in namespaces, kept alive across page reloads. The server
// talks only to this interface, so the ptys can move into a separate process later (as VS Code's
// pty host) without touching the server.
import type { TerminalInfo } from '../../common/ui-contract.js';

export interface TerminalSpec {
  namespace: string;
  title: string;
  /** argv that enters the namespace and starts the shell; never a shell string. */
  argv: string[];
  env: Record<string, string>;
  cols: number;
  rows: number;
  /** How the shell reaches its place (shown in the UI); default: straight into the namespace. */
  path?: string;
}

export type TerminalEvent =
  { type: 'output'; id: string; data: string } | { type: 'exit'; id: string; exitCode: number } | { type: 'changed' };

export interface TerminalHost {
  open(spec: TerminalSpec): Promise<TerminalInfo>;
  list(): TerminalInfo[];
  get(id: string): TerminalInfo | undefined;
  write(id: string, data: string): void;
  resize(id: string, cols: number, rows: number): void;
  /** Everything still in the shell's scrollback ring buffer. */
  scrollback(id: string): string;
  /** Ends the shell (SIGHUP, then SIGKILL) and forgets it. */
  close(id: string): Promise<boolean>;
  onEvent(listener: (e: TerminalEvent) => void): () => void;
  /** Closes every shell. */
  dispose(): Promise<void>;
}
