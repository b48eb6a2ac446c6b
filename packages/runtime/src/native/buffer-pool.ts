/**
 * Recycles the Float32Arrays of disposed tensors by length. A training step allocates the same
 * shapes every step; reusing them skips zero-filling, page faults and garbage collection of
 * hundreds of megabytes a step. Only arrays the pool handed out come back, and only while no one
 * else can see them: an array whose buffer escaped (read by user code, or aliased by a view) is
 * disowned and left to the garbage collector. Lengths not asked for during the last `idleTakes`
 * allocations are released, so a finished model's buffers do not stay forever.
 *
 * Pooled arrays of a length that has missed its rhythm are released as well, at every miss (a length with no
 * pooled array, so fresh memory) and every `sweepTakes` allocations: a length last asked for longer ago than its
 * longest gap between two requests (plus `minIdleTakes`). When the shapes change (another step kind, another batch
 * size), the old shapes' arrays make room for the new ones instead of staying beside them, so the process's memory
 * stays near one working set; a training loop asks for its lengths at their usual gaps and keeps all of them.
 */
export class BufferPool {
  /** Per length: the pooled arrays, when it was last asked for and its longest gap between two requests (in takes). */
  private readonly free = new Map<number, { arrays: Float32Array[]; lastUse: number; gap: number }>();
  private readonly owned = new WeakSet<ArrayBuffer>();
  private pooledBytes = 0;
  private takes = 0;
  private misses = 0;

  /** Arrays shorter than `minLength` are not worth pooling; at most `limitBytes` wait in the pool. */
  constructor(
    private readonly limitBytes: number,
    private readonly minLength = 4096,
    private readonly idleTakes = 20000,
    private readonly minIdleTakes = 64,
    private readonly sweepTakes = 256,
  ) {}

  /** A Float32Array of `length` elements with unspecified contents. */
  take(length: number): Float32Array {
    if (++this.takes % this.idleTakes === 0) this.releaseIdle();
    else if (this.takes % this.sweepTakes === 0) this.releaseOutOfRhythm();
    const entry = this.free.get(length);
    if (entry) {
      entry.gap = Math.max(entry.gap, this.takes - entry.lastUse);
      entry.lastUse = this.takes;
    }
    const reused = entry?.arrays.pop();
    if (reused) {
      this.pooledBytes -= reused.byteLength;
      return reused;
    }
    if (length < this.minLength) return new Float32Array(length);
    this.misses++;
    this.releaseOutOfRhythm();
    if (!entry) this.free.set(length, { arrays: [], lastUse: this.takes, gap: 0 });
    const fresh = new Float32Array(length);
    this.owned.add(fresh.buffer as ArrayBuffer);
    return fresh;
  }

  /** Returns an array that no tensor uses any more. */
  give(values: Float32Array): void {
    const buffer = values.buffer as ArrayBuffer;
    if (!this.owned.has(buffer) || values.byteOffset !== 0 || values.byteLength !== buffer.byteLength) return;
    if (this.pooledBytes + values.byteLength > this.limitBytes) {
      this.owned.delete(buffer);
      return;
    }
    let entry = this.free.get(values.length);
    if (!entry) this.free.set(values.length, (entry = { arrays: [], lastUse: this.takes, gap: 0 }));
    entry.arrays.push(values);
    this.pooledBytes += values.byteLength;
  }

  /** Marks a buffer as visible outside the backend: it is never recycled. */
  disown(buffer: ArrayBufferLike): void {
    this.owned.delete(buffer as ArrayBuffer);
  }

  isOwned(buffer: ArrayBufferLike): boolean {
    return this.owned.has(buffer as ArrayBuffer);
  }

  /** Poolable arrays (at least minLength elements) allocated fresh so far, because no pooled one fitted. */
  get freshAllocations(): number {
    return this.misses;
  }

  /** Bytes waiting for reuse. */
  get bytes(): number {
    return this.pooledBytes;
  }

  /** Drops every pooled array (the garbage collector frees them). */
  clear(): void {
    for (const length of [...this.free.keys()]) this.drop(length);
  }

  /** Releases the pooled arrays of every length that has missed its rhythm (see the class comment). */
  private releaseOutOfRhythm(): void {
    if (this.pooledBytes === 0) return;
    for (const entry of this.free.values()) {
      if (entry.arrays.length === 0 || entry.gap === 0 || this.takes - entry.lastUse <= entry.gap + this.minIdleTakes) continue;
      for (const values of entry.arrays) {
        this.owned.delete(values.buffer as ArrayBuffer);
        this.pooledBytes -= values.byteLength;
      }
      entry.arrays = [];
    }
  }

  private releaseIdle(): void {
    for (const [length, entry] of this.free) if (this.takes - entry.lastUse >= this.idleTakes) this.drop(length);
  }

  private drop(length: number): void {
    const entry = this.free.get(length);
    if (!entry) return;
    for (const values of entry.arrays) {
      this.owned.delete(values.buffer as ArrayBuffer);
      this.pooledBytes -= values.byteLength;
    }
    this.free.delete(length);
  }
}
