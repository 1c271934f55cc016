// A container's stdout/stderr: two FIFOs in its bundle, opened read-write by the container itself
// (so it never gets SIGPIPE, even while no kubelet reads), read here and written as a CRI log
// file — "<RFC 3339 nano> stdout|stderr F|P <text>" per line, as containerd writes them — with
// size-based rotation. No per-container process: the node's runtime reads every FIFO.
import { EventEmitter } from 'node:events';
import { closeSync, constants, createWriteStream, openSync, statSync, type WriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { Socket } from 'node:net';
import { dirname } from 'node:path';
import { execa } from 'execa';
import { mkfifoLight } from '../kernel/light-spawn.js';

/** A line longer than this is split into P(artial) records, as containerd does at 16 KiB. */
const MAX_LINE = 16 * 1024;

export interface LogRotation {
  maxBytes: number;
}

export function criTimestamp(ms: number, nanosWithin = 0): string {
  const iso = new Date(ms).toISOString(); // 2026-01-02T03:04:05.678Z
  const frac = String((ms % 1000) * 1_000_000 + nanosWithin).padStart(9, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}

/** Splits a chunk into CRI records; returns the records and the unfinished tail. */
export function criRecords(
  stream: 'stdout' | 'stderr',
  pending: string,
  chunk: string,
  now: string,
): { lines: string[]; rest: string } {
  let text = pending + chunk;
  const lines: string[] = [];
  for (;;) {
    const nl = text.indexOf('\n');
    if (nl < 0) break;
    // A line's end is "\n" or "\r\n" (a terminal's output), as Go's bufio ReadLine takes it in containerd.
    let line = text.slice(0, nl > 0 && text[nl - 1] === '\r' ? nl - 1 : nl);
    while (line.length > MAX_LINE) {
      lines.push(`${now} ${stream} P ${line.slice(0, MAX_LINE)}\n`);
      line = line.slice(MAX_LINE);
    }
    lines.push(`${now} ${stream} F ${line}\n`);
    text = text.slice(nl + 1);
  }
  while (text.length > MAX_LINE) {
    lines.push(`${now} ${stream} P ${text.slice(0, MAX_LINE)}\n`);
    text = text.slice(MAX_LINE);
  }
  return { lines, rest: text };
}

/** Makes one FIFO (mode 0600) at `path`. */
export async function makeFifo(path: string): Promise<void> {
  if (!mkfifoLight(path, 0o600)) await execa('mkfifo', ['-m', '0600', path]);
}

/** Makes the two FIFOs and opens them read-write: the fds to hand to the container. */
export async function openLogFifos(
  bundle: string,
): Promise<{ stdout: number; stderr: number; paths: [string, string] }> {
  const paths: [string, string] = [`${bundle}/stdout.fifo`, `${bundle}/stderr.fifo`];
  if (!(mkfifoLight(paths[0], 0o600) && mkfifoLight(paths[1], 0o600))) await execa('mkfifo', ['-m', '0600', ...paths]);
  return { stdout: openSync(paths[0], 'r+'), stderr: openSync(paths[1], 'r+'), paths };
}

/** Reads a container's FIFOs into its CRI log file until both reach EOF (the container ended). */
export class ContainerLogPump extends EventEmitter {
  private out: WriteStream | undefined;
  private size = 0;
  private open = 0;
  private readonly sockets: Socket[] = [];
  private readonly done: Promise<void>;
  private finish!: () => void;

  constructor(
    readonly logPath: string,
    /** stdout's FIFO and stderr's; a container with a terminal has only the first (the pty merges both). */
    private readonly fifos: [string, string] | [string],
    private readonly rotation: LogRotation = { maxBytes: 10 * 1024 * 1024 },
  ) {
    super();
    this.done = new Promise((r) => (this.finish = r));
  }

  /** Opens the read ends; call while a writer holds the FIFOs (else EOF comes at once). */
  async start(): Promise<void> {
    await mkdir(dirname(this.logPath), { recursive: true });
    this.size = (() => {
      try {
        return statSync(this.logPath).size;
      } catch {
        return 0;
      }
    })();
    this.out = createWriteStream(this.logPath, { flags: 'a', mode: 0o640 });
    for (const [i, stream] of (['stdout', 'stderr'] as const).entries()) {
      if (!this.fifos[i]) continue;
      const fd = openSync(this.fifos[i], constants.O_RDONLY | constants.O_NONBLOCK);
      const sock = new Socket({ fd, readable: true, writable: false });
      this.sockets.push(sock);
      let pending = '';
      this.open++;
      sock.setEncoding('utf8');
      sock.on('data', (chunk: string) => {
        const { lines, rest } = criRecords(stream, pending, chunk, criTimestamp(Date.now()));
        pending = rest;
        this.emit(stream, chunk);
        for (const l of lines) this.write(l);
      });
      const end = () => {
        if (pending) this.write(`${criTimestamp(Date.now())} ${stream} P ${pending}\n`);
        pending = '';
        if (--this.open === 0) {
          this.out?.end(() => this.finish());
          this.emit('end');
        }
      };
      sock.once('close', end);
      sock.on('error', () => undefined);
    }
  }

  /**
   * Stops reading while the container runs on (the runtime's process is exiting): the log is
   * flushed and closed, the container keeps its FIFOs open (no SIGPIPE), and the next runtime
   * re-attaches (CrunRuntimeService.resume). Open read ends would keep this process alive.
   */
  detach(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** Resolves once the container's stdio closed and the log is flushed. */
  ended(): Promise<void> {
    return this.done;
  }

  private write(line: string): void {
    if (!this.out) return;
    this.out.write(line);
    this.size += Buffer.byteLength(line);
    if (this.size > this.rotation.maxBytes) this.rotate();
  }

  private rotate(): void {
    const old = this.out!;
    this.size = 0;
    // The rotated file keeps the name kubelet's rotation uses for the newest old file.
    const rotated = `${this.logPath}.1`;
    this.out = undefined;
    const pendingLines: string[] = [];
    const bufferWrite = this.write.bind(this);
    this.write = (l: string) => void pendingLines.push(l);
    old.end(() => {
      void rename(this.logPath, rotated)
        .catch(() => undefined)
        .then(() => {
          this.out = createWriteStream(this.logPath, { flags: 'a', mode: 0o640 });
          this.write = bufferWrite;
          for (const l of pendingLines) this.write(l);
        });
    });
  }
}

export function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}

/** CRI log records to the text kubectl prints (with their timestamps when asked). */
export function criToText(records: string, timestamps: boolean): string {
  let out = '';
  for (const line of records.split('\n')) {
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    const c = line.indexOf(' ', b + 1);
    if (!line || a < 0 || b < 0 || c < 0) continue;
    out += `${timestamps ? `${line.slice(0, a)} ` : ''}${line.slice(c + 1)}${line.slice(b + 1, c) === 'P' ? '' : '\n'}`;
  }
  return out;
}
