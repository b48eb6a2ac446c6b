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
});
