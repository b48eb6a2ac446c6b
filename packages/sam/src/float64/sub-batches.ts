/**
 * Splits a batch of example indices into the equal, contiguous sub-batches of m-SAM (SPEC 1.2) without
 * allocating per step: each sub-batch is copied into a buffer that is reused while its size stays the same.
 */
export class SubBatchSplitter {
  private buffer = new Int32Array(0);

  /**
   * Sub-batch `index` of `count` equal parts of `batch`; batch = null means the examples 0..exampleCount-1.
   * Returns `batch` itself (or null) when count = 1, so that no copy is made.
   */
  part(batch: Int32Array | null, exampleCount: number, count: number, index: number): Int32Array | null {
    if (count === 1) return batch;
    const size = exampleCount / count;
    if (this.buffer.length !== size) this.buffer = new Int32Array(size);
    const start = index * size;
    if (batch === null) for (let i = 0; i < size; i++) this.buffer[i] = start + i;
    else for (let i = 0; i < size; i++) this.buffer[i] = batch[start + i]!;
    return this.buffer;
  }
}
