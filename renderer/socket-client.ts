// The page's one WebSocket to the server: typed frames both ways, reconnects after a drop (the
// server keeps shells alive, so terminals reattach), and tells listeners when it is (re)connected.
import { parseServerMessage, type ClientMessage, type ServerMessage } from '../common/ui-contract.js';

type Listener = (m: ServerMessage) => void;

export class SocketClient {
  private ws: WebSocket | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly openListeners = new Set<() => void>();
  private readonly stateListeners = new Set<(connected: boolean) => void>();
  private closed = false;
  private retryMs = 250;

  constructor(private readonly url: string) {}

  connect(): void {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.retryMs = 250;
      for (const l of this.stateListeners) l(true);
      for (const l of this.openListeners) l();
    };
    ws.onmessage = (ev) => {
      let m: ServerMessage;
      try {
        m = parseServerMessage(JSON.parse(String(ev.data)));
      } catch (err) {
        console.error('kubewire: bad frame from server', err);
        return;
      }
      for (const l of this.listeners) l(m);
    };
    ws.onclose = () => {
      for (const l of this.stateListeners) l(false);
      if (this.closed) return;
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    };
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  send(m: ClientMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  onMessage(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Called on every (re)connection: the place to re-subscribe and reattach. */
  onOpen(l: () => void): () => void {
    this.openListeners.add(l);
    if (this.connected) l();
    return () => this.openListeners.delete(l);
  }

  onState(l: (connected: boolean) => void): () => void {
    this.stateListeners.add(l);
    return () => this.stateListeners.delete(l);
  }

  close(): void {
    this.closed = true;
    this.ws?.close();
  }
}
