import { describe, expect, test } from "@jest/globals";
import { BufferPool } from "./buffer-pool.js";

describe("BufferPool", () => {
  test("reuses a returned array of the same length and nothing else", () => {
    const pool = new BufferPool(1 << 20, 16);
    const a = pool.take(64);
    pool.give(a);
    expect(pool.bytes).toBe(256);
    expect(pool.take(32)).not.toBe(a);
    expect(pool.take(64)).toBe(a);
    expect(pool.bytes).toBe(0);
  });

  test("never recycles a disowned buffer, a view, a foreign array or a small array", () => {
    const pool = new BufferPool(1 << 20, 16);
    const escaped = pool.take(64);
    pool.disown(escaped.buffer);
    pool.give(escaped);
    pool.give(new Float32Array(64));
    const owned = pool.take(64);
    pool.give(owned.subarray(0, 32));
    pool.give(pool.take(8));
    expect(pool.bytes).toBe(0);
  });

  test("keeps at most limitBytes and releases lengths that go unused", () => {
    const pool = new BufferPool(1024, 16, 10);
    const arrays = [pool.take(64), pool.take(64), pool.take(64), pool.take(64), pool.take(64)];
    arrays.forEach((a) => pool.give(a));
    expect(pool.bytes).toBe(1024);
    pool.take(64);
    pool.take(64);
    // 64-element arrays are not asked for again: after 10 more allocations they are released.
    for (let i = 0; i < 20; i++) pool.give(pool.take(100));
    expect(pool.bytes).toBe(400);
  });

  /** One "step": takes and returns arrays of the given lengths, two of them alive at a time. */
  function step(pool: BufferPool, lengths: number[]): void {
    let previous: Float32Array | null = null;
    for (const length of lengths) {
      const current = pool.take(length);
      if (previous) pool.give(previous);
      previous = current;
    }
    if (previous) pool.give(previous);
  }

  test("a loop that asks for the same lengths every step allocates nothing after its first steps", () => {
    const pool = new BufferPool(1 << 30, 16, 1 << 20, 2, 4);
    const lengths = [100, 200, 100, 300, 400, 100, 500, 200];
    for (let s = 0; s < 3; s++) step(pool, lengths);
    const settled = pool.freshAllocations;
    for (let s = 0; s < 20; s++) step(pool, lengths);
    expect(pool.freshAllocations).toBe(settled);
  });

  test("when the lengths change, the old lengths' arrays are released instead of kept beside the new ones", () => {
    const pool = new BufferPool(1 << 30, 16, 1 << 20, 2, 4);
    const oldLengths = [1000, 2000, 3000, 1000];
    const newLengths = [1100, 2100, 3100, 1100];
    for (let s = 0; s < 5; s++) step(pool, oldLengths);
    const oldBytes = pool.bytes;
    expect(oldBytes).toBeGreaterThanOrEqual(4 * (2000 + 3000));
    for (let s = 0; s < 5; s++) step(pool, newLengths);
    // Only arrays of the new lengths are left (the old ones went out of rhythm), not both sets.
    expect(pool.bytes).toBeLessThanOrEqual(4 * (1100 * 2 + 2100 + 3100));
    const settled = pool.freshAllocations;
    step(pool, newLengths);
    expect(pool.freshAllocations).toBe(settled);
  });
});
