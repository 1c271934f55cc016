// Exec through the node's container runtime (CRI's Exec): the process starts inside the container
// (crun exec in the node container, so it is in the container's PID, mount and other namespaces,
// with the image's rootfs) and, with a TTY, on a pty the runtime holds, so resize reaches it.
// The server's StreamProcess is synchronous while CRI's Exec answers once the process started:
// the streams handed back are relays that fill when the session is there.
import { PassThrough } from 'node:stream';
import type { RuntimeService, StreamSession } from '../../../runtime/cri/cri-types.js';
import type { ExecOptions, StreamProcess } from './stream-runtime.js';

export function criExec(cri: RuntimeService, containerId: string, argv: string[], o: ExecOptions): StreamProcess {
  if (!argv.length) throw new Error('no command');
  const stdin = o.stdin ? new PassThrough() : undefined;
  const stdout = new PassThrough();
  const stderr = o.tty ? undefined : new PassThrough();
  let session: StreamSession | undefined;
  let killed = false;
  let size: { cols: number; rows: number } | undefined;
  const exited = cri
    .exec(containerId, argv, {
      tty: o.tty,
      stdin: o.stdin,
      ...(o.cols && o.rows ? { cols: o.cols, rows: o.rows } : {}),
    })
    .then(
      async (s) => {
        session = s;
        if (killed) s.close();
        if (size) s.resize(size.cols, size.rows);
        if (stdin && s.stdin) stdin.pipe(s.stdin);
        s.stdin?.on('error', () => undefined);
        s.stdout.pipe(stdout);
        if (stderr && s.stderr) s.stderr.pipe(stderr);
        else stderr?.end();
        const code = await s.wait();
        // The exit code is sent after the output: wait until the relays drained what the process wrote.
        await Promise.all([ended(s.stdout), s.stderr ? ended(s.stderr) : undefined]);
        return code;
      },
      (err: unknown) => {
        stdout.end();
        stderr?.end(`${err instanceof Error ? err.message : String(err)}\n`);
        return 126;
      },
    );
  return {
    stdin,
    stdout,
    ...(stderr ? { stderr } : {}),
    resize: (cols, rows) => {
      if (cols <= 0 || rows <= 0) return;
      if (session) session.resize(cols, rows);
      else size = { cols, rows };
    },
    kill: () => {
      killed = true;
      session?.close();
    },
    exited,
  };
}

function ended(r: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    if ((r as { readableEnded?: boolean }).readableEnded) return resolve();
    r.once('end', () => resolve());
    r.once('close', () => resolve());
  });
}

/**
 * Attach through the node's CRI runtime: the container's output from now on and, with stdin, its
 * input (its stdin FIFO; the container must have been started with stdin: true). A container with
 * a terminal (tty: true) takes the client's sizes, `size` the first. Ends when the container does
 * or the client leaves (the container keeps running).
 */
export function criAttach(
  cri: RuntimeService,
  containerId: string,
  withStdin: boolean,
  size?: { cols: number; rows: number },
): StreamProcess {
  const stdin = withStdin ? new PassThrough() : undefined;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let session: StreamSession | undefined;
  let left = false;
  let pendingSize = size;
  const exited = cri.attach(containerId, { stdin: withStdin }).then(
    async (s) => {
      session = s;
      if (left) s.close();
      if (pendingSize) s.resize(pendingSize.cols, pendingSize.rows);
      if (stdin && s.stdin) stdin.pipe(s.stdin);
      s.stdout.pipe(stdout);
      if (s.stderr) s.stderr.pipe(stderr);
      else stderr.end();
      return s.wait();
    },
    (err: unknown) => {
      stdout.end();
      stderr.end(`${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    },
  );
  return {
    stdin,
    stdout,
    stderr,
    resize: (cols, rows) => {
      if (cols <= 0 || rows <= 0) return;
      if (session) session.resize(cols, rows);
      else pendingSize = { cols, rows };
    },
    kill: () => {
      left = true;
      session?.close();
    },
    exited,
  };
}
