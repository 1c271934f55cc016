// A SPDY/3.1 server session, the framing of k8s.io/apimachinery's httpstream/spdy (moby/spdystream
// over golang.org/x/net/spdy), written here because no maintained npm package frames SPDY/3.1
// (spdy-transport's last release is from 2018). Control frames: SYN_STREAM (the client opens a
// stream with a compressed header block), SYN_REPLY (our acceptance, empty headers), RST_STREAM,
// SETTINGS and WINDOW_UPDATE (ignored: spdystream does no flow control), PING (echoed), GOAWAY;
// DATA frames with FLAG_FIN half-close a stream. Header blocks are zlib with the SPDY/3 dictionary,
// one compression context per direction for the whole session.
import { EventEmitter } from 'node:events';
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';

const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;
const FLAG_FIN = 0x01;
const MAX_DATA = 64 * 1024;

/** Serial zlib with a persistent context (each block flushed with Z_SYNC_FLUSH). */
class ZContext {
  private out: Buffer[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  constructor(private readonly z: zlib.Inflate | zlib.Deflate) {
    z.on('data', (b: Buffer) => this.out.push(b));
    z.on('error', () => undefined);
  }
  run(input: Buffer): Promise<Buffer> {
    const p = this.chain.then(
      () =>
        new Promise<Buffer>((resolve) => {
          this.z.write(input);
          this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            const b = Buffer.concat(this.out);
            this.out = [];
            resolve(b);
          });
        }),
    );
    this.chain = p;
    return p;
  }
  close(): void {
    this.z.close();
  }
}

export class SpdyStream extends EventEmitter {
  remoteClosed = false;
  localClosed = false;
  constructor(
    readonly id: number,
    readonly headers: Record<string, string>,
    private readonly s: SpdySession,
  ) {
    super();
  }
  write(data: Buffer): void {
    if (this.localClosed) return;
    for (let off = 0; off < data.length; off += MAX_DATA)
      this.s.sendData(this.id, data.subarray(off, off + MAX_DATA), false);
  }
  /** Half-close: a DATA frame with FLAG_FIN. */
  end(): void {
    if (this.localClosed) return;
    this.localClosed = true;
    this.s.sendData(this.id, Buffer.alloc(0), true);
  }
  reset(): void {
    this.localClosed = this.remoteClosed = true;
    this.s.sendRst(this.id, 5 /* CANCEL */);
  }
}

export class SpdySession extends EventEmitter {
  private buf: Buffer = Buffer.alloc(0);
  private readonly inflate = new ZContext(zlib.createInflate({ dictionary: SPDY3_DICTIONARY }));
  private readonly deflate = new ZContext(zlib.createDeflate({ dictionary: SPDY3_DICTIONARY }));
  private readonly streams = new Map<number, SpdyStream>();
  /** Frames are handled in order even though header blocks inflate asynchronously. */
  private chain: Promise<void> = Promise.resolve();
  /** Frames queued on `chain` and not handled yet: a DATA frame may skip the queue only when 0. */
  private queued = 0;
  private closed = false;

  /**
   * `write` gets a frame as its header and, for DATA frames, the payload apart: the connection
   * writes both without copying the payload into a new buffer (a corked socket, or two WebSocket
   * frames of one message).
   */
  constructor(private readonly write: (head: Buffer, payload?: Buffer) => void) {
    super();
  }

  /** Feeds bytes read from the connection. */
  receive(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + len) break;
      const frame = this.buf.subarray(0, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      // The bulk of a session is DATA frames: handled at once (no promise per frame) unless a
      // control frame before them is still inflating its headers.
      if (this.queued === 0 && !(frame[0]! & 0x80)) {
        this.dataFrame(frame);
        continue;
      }
      this.queued++;
      this.chain = this.chain
        .then(() => this.frame(frame))
        .catch((err) => {
          this.emit('error', err);
        })
        .finally(() => this.queued--);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) {
      s.remoteClosed = true;
      s.emit('end');
      s.emit('close');
    }
    this.streams.clear();
    this.inflate.close();
    this.deflate.close();
    this.emit('close');
  }

  goAway(): void {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(0);
    b.writeUInt32BE(0, 4);
    this.control(GOAWAY, 0, b);
  }

  /** A DATA frame: its payload to the stream (a view of the bytes read, which nothing reuses). */
  private dataFrame(f: Buffer): void {
    const s = this.streams.get(f.readUInt32BE(0) & 0x7fffffff);
    if (!s) return;
    if (f.length > 8) s.emit('data', f.subarray(8));
    if (f[4]! & FLAG_FIN) this.remoteEnd(s);
  }

  private async frame(f: Buffer): Promise<void> {
    const flags = f[4]!;
    const body = f.subarray(8);
    if (!(f[0]! & 0x80)) return this.dataFrame(f);
    const version = f.readUInt16BE(0) & 0x7fff;
    const type = f.readUInt16BE(2);
    if (version !== 3) throw new Error(`SPDY version ${version} is not supported`);
    switch (type) {
      case SYN_STREAM: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        const headers = parseHeaderBlock(await this.inflate.run(body.subarray(10)));
        const s = new SpdyStream(id, headers, this);
        this.streams.set(id, s);
        await this.reply(id);
        this.emit('stream', s);
        if (flags & FLAG_FIN) this.remoteEnd(s);
        return;
      }
      case RST_STREAM: {
        const s = this.streams.get(body.readUInt32BE(0) & 0x7fffffff);
        if (s) {
          s.remoteClosed = s.localClosed = true;
          this.streams.delete(s.id);
          s.emit('reset');
          s.emit('close');
        }
        return;
      }
      case PING:
        this.control(PING, 0, Buffer.from(body));
        return;
      case GOAWAY:
        this.emit('goaway');
        return;
      default:
        if (type === 8 /* HEADERS */) await this.inflate.run(body.subarray(4)); // keeps the zlib context in step
    }
  }

  private remoteEnd(s: SpdyStream): void {
    if (s.remoteClosed) return;
    s.remoteClosed = true;
    s.emit('end');
    this.maybeForget(s);
  }

  private maybeForget(s: SpdyStream): void {
    if (s.remoteClosed && s.localClosed) {
      this.streams.delete(s.id);
      s.emit('close');
    }
  }

  private async reply(id: number): Promise<void> {
    const block = await this.deflate.run(Buffer.from([0, 0, 0, 0])); // no headers
    const b = Buffer.alloc(4);
    b.writeUInt32BE(id);
    this.control(SYN_REPLY, 0, Buffer.concat([b, block]));
  }

  sendData(id: number, data: Buffer, fin: boolean): void {
    if (this.closed) return;
    const h = Buffer.alloc(8);
    h.writeUInt32BE(id & 0x7fffffff);
    h.writeUInt32BE(((fin ? FLAG_FIN : 0) << 24) | data.length, 4);
    // Written at once: a stream is only handed out ('stream') after its SYN_REPLY was written.
    this.write(h, data.length ? data : undefined);
    const s = this.streams.get(id);
    if (fin && s) this.maybeForget(s);
  }

  sendRst(id: number, status: number): void {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(id);
    b.writeUInt32BE(status, 4);
    this.control(RST_STREAM, 0, b);
    this.streams.delete(id);
  }

  private control(type: number, flags: number, body: Buffer): void {
    if (this.closed) return;
    const h = Buffer.alloc(8);
    h.writeUInt16BE(0x8000 | 3);
    h.writeUInt16BE(type, 2);
    h.writeUInt32BE((flags << 24) | body.length, 4);
    this.write(Buffer.concat([h, body]));
  }
}

function parseHeaderBlock(b: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 4;
  const n = b.readUInt32BE(0);
  for (let i = 0; i < n && pos + 4 <= b.length; i++) {
    const nl = b.readUInt32BE(pos);
    const name = b
      .subarray(pos + 4, pos + 4 + nl)
      .toString('latin1')
      .toLowerCase();
    pos += 4 + nl;
    const vl = b.readUInt32BE(pos);
    out[name] = b
      .subarray(pos + 4, pos + 4 + vl)
      .toString('latin1')
      .split('\0')[0]!;
    pos += 4 + vl;
  }
  return out;
}
