import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import net from "node:net";
import { Command } from "commander";
import { InputError } from "@sam-repro/runner";
import { registerCommands } from "./commands.js";
import { checkReachable, describeTarget, parseRedisUrl, resolveQueueTarget } from "./connection.js";
import { jobIdOf, parseTrainRequest, REQUEST_FORMAT } from "./messages.js";
import { redisServerBinary, startTestRedis, type TestRedis } from "./test-redis.js";
import { lockDurationFromEnv } from "./worker.js";

describe("queue URL and secrets", () => {
  test("redis:// and rediss:// URLs give host, port, database and TLS; the port defaults to 6379", () => {
    expect(parseRedisUrl("redis://10.0.0.5:6380/2", "--queue", {})).toEqual({ host: "10.0.0.5", port: 6380, db: 2, tls: false });
    expect(parseRedisUrl("rediss://cache.example", "--queue", {})).toEqual({ host: "cache.example", port: 6379, db: 0, tls: true });
  });

  test("a password in --queue is refused (flags show in ps); from the environment it is used and never printed", () => {
    expect(() => resolveQueueTarget("redis://:hunter2@host:6379", {})).toThrow(InputError);
    expect(() => resolveQueueTarget("redis://:hunter2@host:6379", {})).toThrow(/--queue: "redis:\/\/host:6379" carries a password; put it in SAM_REPRO_REDIS_URL/);
    const fromUrl = resolveQueueTarget(undefined, { SAM_REPRO_REDIS_URL: "rediss://app:s3cret@host:7000" });
    expect(fromUrl).toMatchObject({ host: "host", port: 7000, username: "app", password: "s3cret", tls: true });
    expect(describeTarget(fromUrl)).toBe("rediss://host:7000");
    expect(resolveQueueTarget("redis://host:6379", { SAM_REPRO_REDIS_PASSWORD: "pw" }).password).toBe("pw");
    expect(() => parseRedisUrl("redis://user:pw@host:x", "SAM_REPRO_REDIS_URL", {})).toThrow(/"redis:\/\/user:\*\*\*@host:x" is not a URL/);
  });

  test("bad URLs name the source, the value and what is allowed", () => {
    expect(() => resolveQueueTarget("http://host:6379", {})).toThrow(/--queue: protocol "http:" in "http:\/\/host:6379"; allowed: redis:, rediss:/);
    expect(() => resolveQueueTarget("redis://host/abc", {})).toThrow(/--queue: database "abc" .*allowed: an integer >= 0/);
    expect(() => resolveQueueTarget(true, {})).toThrow(/--queue: no URL given and SAM_REPRO_REDIS_URL is not set/);
  });
});

describe("reachability", () => {
  test("a server that accepts the connection and never answers is an error after the time allowed", async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      await expect(checkReachable({ host: "127.0.0.1", port, db: 0, tls: false }, 300)).rejects.toThrow(
        new RegExp(`--queue: cannot reach redis://127.0.0.1:${port} \\(no answer within 0.3 s\\)`),
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  test("a queue nobody listens on is a one-line input error naming it", async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve)); // the port is now free: connecting is refused
    await expect(checkReachable({ host: "127.0.0.1", port, db: 0, tls: false })).rejects.toThrow(
      new RegExp(`--queue: cannot reach redis://127.0.0.1:${port} \\(ECONNREFUSED\\)`),
    );
  });
});

const redisBinary = redisServerBinary();
const describeRedis = redisBinary ? describe : describe.skip;

describeRedis(`reachability of a redis-server that wants a password${redisBinary ? "" : " (skipped: redis-server is not installed)"}`, () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis(redisBinary!, { password: "s3cret" });
  });
  afterAll(() => redis?.stop());

  test("the password from the environment gets in; a wrong or missing one is a one-line error with Redis's reason, never the password", async () => {
    const port = redis.target.port;
    await expect(checkReachable(resolveQueueTarget(redis.url, { SAM_REPRO_REDIS_PASSWORD: "s3cret" }))).resolves.toBeUndefined();
    await expect(checkReachable(resolveQueueTarget(undefined, { SAM_REPRO_REDIS_URL: `redis://:s3cret@127.0.0.1:${port}` }))).resolves.toBeUndefined();
    const wrong = checkReachable(resolveQueueTarget(redis.url, { SAM_REPRO_REDIS_PASSWORD: "hunter2" }));
    await expect(wrong).rejects.toThrow(new RegExp(`^--queue: cannot reach redis://127.0.0.1:${port} \\(WRONGPASS [^\\n]*$`));
    await expect(wrong).rejects.not.toThrow(/hunter2/);
    await expect(checkReachable(resolveQueueTarget(redis.url, {}))).rejects.toThrow(/cannot reach .* \(NOAUTH Authentication required\.\)/);
  });
});

describe("queue messages", () => {
  const valid = {
    format: REQUEST_FORMAT,
    name: "fig1-erm-s0",
    profile: "smoke",
    directory: "deep-nets/smoke/fig1-erm-s0-0123456789ab",
    hash: "0123456789ab",
    config: { model: "resnet_tiny", width: 4, epochs: 1, seed: 0, sam: { variant: "sgd" } },
    initSource: null,
  };

  test("a valid request parses, with the trainer's defaults filled in", () => {
    const request = parseTrainRequest(valid);
    expect(request.config.batchSize).toBe(128);
    expect(jobIdOf(request.directory)).toBe("deep-nets.smoke.fig1-erm-s0-0123456789ab");
  });

  test("a bad field is named with its value; paths outside the runs directory are refused", () => {
    expect(() => parseTrainRequest({ ...valid, profile: "huge" })).toThrow(/malformed training request: profile: .*\(got "huge"\)/);
    expect(() => parseTrainRequest({ ...valid, directory: "/etc" })).toThrow(/directory: must be a relative path inside the runs directory .*\(got "\/etc"\)/);
    expect(() => parseTrainRequest({ ...valid, directory: "deep-nets/../../x" })).toThrow(/directory: must be a relative path/);
    expect(() => parseTrainRequest({ ...valid, config: { ...valid.config, epochs: -1 } })).toThrow(/config\.epochs: .*\(got -1\)/);
    expect(() => parseTrainRequest({ ...valid, extra: 1 })).toThrow(/malformed training request: .*extra/);
    expect(() => parseTrainRequest(null)).toThrow(/\(the message\): .*\(got null\)/);
  });
});

describe("sweep and worker flags", () => {
  const run = async (...argv: string[]) => {
    const program = new Command().exitOverride();
    registerCommands(program);
    await program.parseAsync(argv, { from: "user" });
  };

  test("bad values are input errors that name the flag, the value and what is allowed", async () => {
    await expect(run("sweep", "deep-nets", "--attempts", "0")).rejects.toThrow(/--attempts: "0" is not allowed; allowed: an integer >= 1/);
    await expect(run("sweep", "deep-nets", "--profile", "huge")).rejects.toThrow(/--profile: unknown profile "huge"/);
    await expect(run("sweep")).rejects.toThrow(/sweep: a figure id or package is required/);
    await expect(run("worker", "--queue", "redis://h:1", "--concurrency", "two")).rejects.toThrow(/--concurrency: "two" is not allowed/);
    await expect(run("worker", "--queue", "redis://:pw@h:1")).rejects.toThrow(InputError);
  });

  test("a bad lock duration in the environment is named with its value", () => {
    expect(lockDurationFromEnv({})).toBe(30_000);
    expect(lockDurationFromEnv({ SAM_REPRO_QUEUE_LOCK_MS: "1500" })).toBe(1500);
    expect(() => lockDurationFromEnv({ SAM_REPRO_QUEUE_LOCK_MS: "10s" })).toThrow(/SAM_REPRO_QUEUE_LOCK_MS: "10s" is not allowed; allowed: an integer number of milliseconds >= 1000/);
  });

  test("an unknown sweep target lists the packages and figure ids allowed", async () => {
    await expect(run("sweep", "fig99", "--profile", "smoke")).rejects.toThrow(/sweep: unknown figure or package "fig99"; allowed: deep-nets, fig1-perturbations, .*convergence/);
  });
});
