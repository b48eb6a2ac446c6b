/**
 * Where the queue lives: a redis:// (or rediss:// for TLS) URL from `--queue` or the environment, and
 * BullMQ connections to it. Secrets come only from the environment (they would show in `ps` as flags).
 */
import { createRequire } from "node:module";
import { createBunRedisClient, type ConnectionOptions } from "bullmq";
import { InputError } from "@sam-repro/runner";
import { RespClient, type RedisTarget } from "./resp-client.js";

/** Environment variable with the queue URL, which may carry a password (redis://:PASSWORD@host:port) or TLS (rediss://). */
export const REDIS_URL_ENV_VAR = "SAM_REPRO_REDIS_URL";
/** Environment variable with the Redis password for a `--queue` URL given without one. */
export const REDIS_PASSWORD_ENV_VAR = "SAM_REPRO_REDIS_PASSWORD";
/** Name of the BullMQ queue that holds training runs. */
export const QUEUE_NAME = "sam-repro-runs";

/**
 * The queue to use: `--queue URL` (no password allowed in it), or `--queue` alone / `$SAM_REPRO_REDIS_URL`.
 * A password comes from the URL in `$SAM_REPRO_REDIS_URL` or from `$SAM_REPRO_REDIS_PASSWORD`.
 */
export function resolveQueueTarget(flag: string | true | undefined, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  const fromEnv = env[REDIS_URL_ENV_VAR];
  if (flag === undefined || flag === true) {
    if (!fromEnv) throw new InputError(`--queue: no URL given and ${REDIS_URL_ENV_VAR} is not set; allowed: redis://HOST:PORT`);
    return parseRedisUrl(fromEnv, REDIS_URL_ENV_VAR, env);
  }
  const target = parseRedisUrl(flag, "--queue", env);
  if (/^[a-z]+:\/\/[^/]*@/i.test(flag) && new URL(flag).password) {
    throw new InputError(`--queue: "${describeTarget(target)}" carries a password; put it in ${REDIS_URL_ENV_VAR} or ${REDIS_PASSWORD_ENV_VAR} instead (flags show in ps)`);
  }
  return target;
}

/** Parses redis://[user[:password]@]host[:port][/db] or rediss://...; `source` names the flag or variable in errors. */
export function parseRedisUrl(text: string, source: string, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(`${source}: "${redact(text)}" is not a URL; allowed: redis://HOST:PORT or rediss://HOST:PORT`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new InputError(`${source}: protocol "${url.protocol}" in "${redact(text)}"; allowed: redis:, rediss:`);
  }
  if (!url.hostname) throw new InputError(`${source}: no host in "${redact(text)}"; allowed: redis://HOST:PORT`);
  const port = url.port ? Number(url.port) : 6379;
  const dbText = url.pathname.replace(/^\//, "");
  const db = dbText === "" ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new InputError(`${source}: database "${dbText}" in "${redact(text)}"; allowed: an integer >= 0`);
  const password = url.password ? decodeURIComponent(url.password) : env[REDIS_PASSWORD_ENV_VAR] || undefined;
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port,
    db,
    tls: url.protocol === "rediss:",
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(password !== undefined ? { password } : {}),
  };
}

/** The target as a URL without its password (for messages and logs). */
export function describeTarget(target: RedisTarget): string {
  return `${target.tls ? "rediss" : "redis"}://${target.host}:${target.port}${target.db ? `/${target.db}` : ""}`;
}

function redact(text: string): string {
  return text.replace(/\/\/([^@/]*)@/, (_match, credentials: string) => `//${credentials.includes(":") ? credentials.split(":")[0] + ":***" : credentials}@`);
}

/**
 * Connects once and sends PING, so that a wrong host, port or password is a one-line error at the start
 * (later, BullMQ reconnects by itself). Throws an InputError naming the queue and the reason.
 */
export async function checkReachable(target: RedisTarget, timeoutMs = 5000): Promise<void> {
  const client = new RespClient(target);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    await Promise.race([client.connect().then(() => client.send("PING", [])), timeout]);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new InputError(`--queue: cannot reach ${describeTarget(target)} (${reason}); is Redis running there, the port open and the password (${REDIS_URL_ENV_VAR} / ${REDIS_PASSWORD_ENV_VAR}) right?`);
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

const require = createRequire(import.meta.url);

/** Whether the ioredis driver is installed (BullMQ's default); otherwise the built-in RESP client is used. */
function hasIORedis(): boolean {
  try {
    require.resolve("ioredis");
    return true;
  } catch {
    return false;
  }
}

/** A connection for one BullMQ object, and how to close it once that object is closed. */
export interface QueueConnection {
  connection: ConnectionOptions;
  /** Closes what BullMQ leaves open: a client instance passed in is "shared", so Queue.close() keeps it. */
  close(): Promise<void>;
}

/**
 * A new BullMQ connection to `target` (each Queue, Worker and QueueEvents needs its own): ioredis
 * options when ioredis is installed, else the RESP client of this package behind BullMQ's adapter.
 * Both reconnect by themselves (BullMQ's retry strategy) when Redis restarts.
 */
export function createConnection(target: RedisTarget): QueueConnection {
  if (hasIORedis()) {
    const connection = {
      host: target.host,
      port: target.port,
      db: target.db,
      maxRetriesPerRequest: null,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password !== undefined ? { password: target.password } : {}),
      ...(target.tls ? { tls: { servername: target.host } } : {}),
    };
    return { connection, close: async () => {} };
  }
  const client = createBunRedisClient(new RespClient(target));
  // BullMQ listens for errors while the object that uses the client is open; after that, a dropped
  // connection (Redis stopping) must not become an uncaught 'error' event.
  client.on("error", () => {});
  return {
    connection: client as unknown as ConnectionOptions,
    close: async () => {
      await client.quit().catch(() => "");
    },
  };
}
