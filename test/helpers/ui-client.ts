// A test client of the UI server as a page would be: HTTP calls with the session token and one
// WebSocket with our Origin; helpers to wait for frames.
import WebSocket from 'ws';
import type { CallName, CallRequest, CallResponse, Result, ServerMessage } from '../../common/ui-contract.js';

export class UiTestClient {
  readonly frames: ServerMessage[] = [];
  private waiters: { pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  ws: WebSocket | undefined;

  constructor(
    readonly port: number,
    readonly token: string,
  ) {}

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async call<K extends CallName>(name: K, req: CallRequest<K>): Promise<Result<CallResponse<K>>> {
    const res = await fetch(`${this.origin}/api/call/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-kubewire-token': this.token },
      body: JSON.stringify(req),
    });
    return (await res.json()) as Result<CallResponse<K>>;
  }

  async mustCall<K extends CallName>(name: K, req: CallRequest<K>): Promise<CallResponse<K>> {
    const r = await this.call(name, req);
    if (!r.ok) throw new Error(`${name}: ${r.error.code}: ${r.error.message}`);
    return r.result;
  }

  connect(): Promise<void> {
    const ws = new WebSocket(`ws://127.0.0.1:${this.port}/ws`, {
      headers: { origin: this.origin, cookie: `kubewire_session_${this.port}=${this.token}` },
    });
    this.ws = ws;
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as ServerMessage;
      this.frames.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
  }

  send(m: unknown): void {
    this.ws!.send(JSON.stringify(m));
  }

  /** Resolves with the first frame (already received or future) that matches. */
  waitFor<T extends ServerMessage>(
    pred: (m: ServerMessage) => boolean,
    timeoutMs: number,
    what: string,
    fromIndex = 0,
  ): Promise<T> {
    const seen = this.frames.slice(fromIndex).find(pred);
    if (seen) return Promise.resolve(seen as T);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
        timeoutMs,
      );
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as T);
        },
      });
    });
  }

  /** Concatenated terminal output (scrollback + live) seen so far for one terminal. */
  output(id: string): string {
    return this.frames
      .filter(
        (f): f is Extract<ServerMessage, { type: 'terminal.output' | 'terminal.scrollback' }> =>
          (f.type === 'terminal.output' || f.type === 'terminal.scrollback') && f.id === id,
      )
      .map((f) => f.data)
      .join('');
  }

  close(): void {
    this.ws?.terminate();
  }
}
