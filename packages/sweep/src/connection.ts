/**
 * Where the queue lives: a redis:// (or rediss:// for TLS) URL from `--queue` or the environment, and
 * BullMQ connections to it. Secrets come only from the environment (they would show in `ps` as flags).
 */
import { Redis, type RedisOptions } from "ioredis";
import { InputError, REDIS_PASSWORD_ENV_VAR, REDIS_URL_ENV_VAR, redisPasswordSetting, redisUrlSetting, type Environment } from "@sam-repro/runner";

// SAM_REPRO_REDIS_URL: the queue URL, which may carry a password (redis://:PASSWORD@host:port) or TLS (rediss://);
// SAM_REPRO_REDIS_PASSWORD: the password for a `--queue` URL given without one (runner's settings module).
export { REDIS_PASSWORD_ENV_VAR, REDIS_URL_ENV_VAR };
/** Name of the BullMQ queue that holds training runs. */
export const QUEUE_NAME = "sam-repro-runs";

/** Where the queue lives, parsed from a redis:// or rediss:// URL (the password from the environment). */
export interface RedisTarget {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
}

/**
 * The queue to use: `--queue URL` (no password allowed in it), or `--queue` alone / `$SAM_REPRO_REDIS_URL`.
 * A password comes from the URL in `$SAM_REPRO_REDIS_URL` or from `$SAM_REPRO_REDIS_PASSWORD`.
 */
export function resolveQueueTarget(flag: string | true | undefined, env?: Environment): RedisTarget {
  const fromEnv = redisUrlSetting(env);
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
export function parseRedisUrl(text: string, source: string, env?: Environment): RedisTarget {
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
  const password = url.password ? decodeURIComponent(url.password) : redisPasswordSetting(env);
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
 * Connects once, without retrying, and sends PING, so that a wrong host, port or password is a one-line
 * error at the start instead of ioredis reconnecting forever. Throws an InputError naming the queue and
 * the reason (the connection's own error: ECONNREFUSED, ENOTFOUND, WRONGPASS ...).
 */
export async function checkReachable(target: RedisTarget, timeoutMs = 5000): Promise<void> {
  const client = new Redis({
    ...redisOptions(target),
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    // Closing this probe drops its socket at once (by default ioredis waits 2 s for it, holding the process).
    disconnectTimeout: 0,
  });
  // ioredis rejects connect() with a generic "Connection is closed."; the reason is the last 'error' event.
  let lastError: Error | undefined;
  client.on("error", (error: Error) => (lastError = error));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  const attempt = client.connect().then(() => client.ping());
  attempt.catch(() => {}); // it may fail after the deadline has won
  try {
    await Promise.race([attempt, deadline]);
  } catch (error) {
    const cause = lastError ?? (error as Error);
    const reason = (cause as NodeJS.ErrnoException).code ?? cause.message.split("\n")[0];
    throw new InputError(`--queue: cannot reach ${describeTarget(target)} (${reason}); is Redis running there, the port open and the password (${REDIS_URL_ENV_VAR} / ${REDIS_PASSWORD_ENV_VAR}) right?`);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/**
 * ioredis options for one BullMQ object (Queue, Worker, QueueEvents), which opens and closes its own
 * connections with them. `maxRetriesPerRequest: null` (BullMQ requires it for workers' blocking
 * connections): a command waits while Redis is away instead of failing, and ioredis reconnects with
 * BullMQ's retry strategy (every 1 s at first, then up to every 20 s) for as long as it takes, so a
 * worker or a sweep survives a Redis restart. A Redis that is down at the start is caught by checkReachable.
 */
export function redisOptions(target: RedisTarget): RedisOptions {
  return {
    host: target.host,
    port: target.port,
    db: target.db,
    maxRetriesPerRequest: null,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password !== undefined ? { password: target.password } : {}),
    ...(target.tls ? { tls: { servername: target.host } } : {}),
  };
}
