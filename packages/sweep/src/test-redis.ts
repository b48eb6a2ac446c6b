/**
 * Test helpers: a private redis-server on a free loopback port (AOF on, in a temporary directory) that
 * tests start, restart and stop, and sweep worker processes started through the CLI's sources.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { checkReachable, type RedisTarget } from "./connection.js";

/** The redis-server binary, or null when it is not installed (the queue tests then skip). */
export function redisServerBinary(): string | null {
  const found = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  const file = found.stdout.trim();
  return found.status === 0 && file && existsSync(file) ? file : null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  target: RedisTarget;
  url: string;
  /** Stops the server (SIGTERM: it writes its AOF) and starts it again on the same port and directory. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts redis-server on 127.0.0.1 and a free port, with AOF on (fsync always) in a temporary directory;
 * with `password`, clients must authenticate (requirepass) and `target` carries it.
 */
export async function startTestRedis(binary: string, options: { password?: string } = {}): Promise<TestRedis> {
  const port = await freePort();
  const directory = mkdtempSync(path.join(os.tmpdir(), "sweep-redis-"));
  const target: RedisTarget = { host: "127.0.0.1", port, db: 0, tls: false, ...(options.password ? { password: options.password } : {}) };
  const auth = options.password ? ["--requirepass", options.password] : [];
  let server: ChildProcess | null = null;
  const launch = async () => {
    server = spawn(binary, ["--port", String(port), "--bind", "127.0.0.1", "--dir", directory, "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no", ...auth], {
      stdio: "ignore",
    });
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        return await checkReachable(target, 1000);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    throw new Error(`redis-server did not start on port ${port}`);
  };
  const halt = async () => {
    const running = server;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGTERM");
    await exited;
  };
  await launch();
  return {
    target,
    url: `redis://127.0.0.1:${port}`,
    async restart(downMs = 1000) {
      await halt();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await launch();
    },
    async stop() {
      await halt();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

const require = createRequire(import.meta.url);
const cliMain = path.join(import.meta.dirname, "../../cli/src/main.ts");

/** Starts `sam-repro worker` as its own process (the CLI's sources under tsx); its pid is the worker's. */
export function startWorkerProcess(options: { url: string; runsDirectory: string; env?: Record<string, string>; log?: string[] }): ChildProcess {
  const tsx = require.resolve("tsx");
  const child = spawn(
    process.execPath,
    ["--conditions=@sam-repro/source", "--import", tsx, "--no-warnings=ExperimentalWarning", cliMain, "--backend", "wasm", "worker", "--queue", options.url, "--runs-dir", options.runsDirectory],
    { env: workerEnvironment(options.env), stdio: ["ignore", "pipe", "pipe"] },
  );
  const log = options.log;
  const keep = (chunk: Buffer) => log?.push(...chunk.toString("utf8").split("\n").filter(Boolean));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return child;
}

/** This process's environment without jest's markers and node options, plus `extra`. */
function workerEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SAM_REPRO_QUIET: "1", ...extra };
  delete env.JEST_WORKER_ID;
  delete env.NODE_OPTIONS;
  return env;
}

/** Resolves once `log` has a line matching `pattern` (or rejects after `timeoutMs`). */
export async function waitForLine(log: string[], pattern: RegExp, timeoutMs = 120_000): Promise<string> {
  const started = Date.now();
  for (;;) {
    const line = log.find((candidate) => pattern.test(candidate));
    if (line) return line;
    if (Date.now() - started > timeoutMs) throw new Error(`no line matching ${pattern} within ${timeoutMs} ms; log:\n${log.slice(-20).join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
