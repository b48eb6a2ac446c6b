import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { RespClient } from "./resp-client.js";
import { redisServerBinary, startTestRedis, type TestRedis } from "./test-redis.js";

const binary = redisServerBinary();
if (!binary) console.warn("RESP client tests skipped: redis-server is not installed");
const describeRedis = binary ? describe : describe.skip;

describeRedis(`RespClient against a real redis-server${binary ? "" : " (skipped: redis-server is not installed)"}`, () => {
  let redis: TestRedis;
  let client: RespClient;
  beforeAll(async () => {
    redis = await startTestRedis(binary!);
    client = new RespClient(redis.target);
    await client.connect();
  });
  afterAll(async () => {
    client?.close();
    await redis?.stop();
  });

  test("replies decode as ioredis decodes them: status, integer, bulk, nil, nested arrays", async () => {
    expect(await client.send("SET", ["k", "välue ✓"])).toBe("OK");
    expect(await client.get("k")).toBe("välue ✓");
    expect(await client.incr("n")).toBe(1);
    expect(await client.send("GET", ["missing"])).toBeNull();
    await client.send("RPUSH", ["list", "a", "b"]);
    expect(await client.send("EVAL", ["return {1, {KEYS[1], ARGV[1]}, redis.call('LRANGE', 'list', 0, -1)}", "1", "x", "y"])).toEqual([1, ["x", "y"], ["a", "b"]]);
  });

  test("an error reply rejects its command only; inside EXEC it is an Error element", async () => {
    await expect(client.send("INCR", ["k"])).rejects.toThrow(/not an integer/);
    const replies = await Promise.all([client.send("MULTI", []), client.send("INCR", ["n"]), client.send("INCR", ["k"]), client.send("EXEC", [])]);
    const exec = replies[3] as unknown[];
    expect(exec[0]).toBe(2);
    expect(exec[1]).toBeInstanceOf(Error);
  });

  test("a 24 MB value (a run's weights) survives the round trip, and pipelined replies keep their order", async () => {
    const big = Buffer.alloc(24 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
    const text = big.toString("base64");
    await client.send("SET", ["big", text]);
    const replies = await Promise.all([client.get("big"), client.send("STRLEN", ["big"]), client.get("k")]);
    expect(replies[0] === text).toBe(true);
    expect(replies[1]).toBe(text.length);
    expect(replies[2]).toBe("välue ✓");
  });

  test("a dropped connection rejects what was pending and calls onclose with the error", async () => {
    const victim = new RespClient(redis.target);
    await victim.connect();
    const closed = new Promise<Error | undefined>((resolve) => (victim.onclose = resolve));
    const pending = victim.send("BLPOP", ["never", "10"]);
    await client.send("CLIENT", ["KILL", "TYPE", "normal", "SKIPME", "yes"]);
    await expect(pending).rejects.toThrow(/Connection closed/);
    expect((await closed)?.message).toBe("Connection closed");
    expect(victim.connected).toBe(false);
    await expect(victim.send("PING", [])).rejects.toThrow(/closed/);
  });
});
