// What a shell printed, bounded: a reattaching page gets this before live output. Keeps whole
// chunks and drops the oldest once over `limit` characters, so memory per shell stays fixed.
export class ScrollbackBuffer {
  private chunks: string[] = [];
  private size = 0;

  constructor(private readonly limit: number) {
    if (!(limit > 0)) throw new RangeError(`scrollback limit must be positive, got ${limit}`);
  }

  push(data: string): void {
    if (data.length === 0) return;
    if (data.length >= this.limit) {
      this.chunks = [data.slice(data.length - this.limit)];
      this.size = this.limit;
      return;
    }
    this.chunks.push(data);
    this.size += data.length;
    while (this.size > this.limit) {
      const first = this.chunks[0]!;
      const excess = this.size - this.limit;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.slice(excess);
        this.size -= excess;
      }
    }
    // Many tiny chunks (one per keystroke echo) would make the array long; fold them now and then.
    if (this.chunks.length > 512) this.chunks = [this.chunks.join('')];
  }

  text(): string {
    return this.chunks.join('');
  }

  get length(): number {
    return this.size;
  }
}
