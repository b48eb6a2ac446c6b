/**
 * `sam-repro sweep`: regenerates a figure (or every figure of a package) with its training runs
 * trained by the local pool (default, what `reproduce` does) or by workers on a BullMQ queue. Runs
 * already complete in the run store are skipped; the figures are written by the packages' own
 * `reproduce`, so a sweep's reports equal a local run's. A figure whose run failed is reported with the
 * error and the other figures are still written.
 */
import { setJobExecutor } from "@sam-repro/deep-nets";
import { InputError, type Profile } from "@sam-repro/runner";
import { Queue } from "bullmq";
import { describeTarget, redisOptions, QUEUE_NAME, type RedisTarget } from "./connection.js";
import { createQueueExecutor, type QueueStats } from "./queue-executor.js";
import type { RunProgress } from "./worker.js";

/** A package whose figures train deep networks, with its figure ids and its `reproduce`. */
interface SweepPackage {
  name: string;
  figureIds: string[];
  reproduce(options: { profile: Profile; only?: string[] }): Promise<void>;
}

/** The packages a sweep can run (those whose figures train networks: every deep-net figure lives in @sam-repro/deep-nets). */
export const SWEEP_PACKAGES = ["deep-nets"] as const;

async function loadPackage(name: (typeof SWEEP_PACKAGES)[number]): Promise<SweepPackage> {
  const module = await import("@sam-repro/deep-nets");
  return { name, figureIds: module.FIGURES.map((figure) => figure.id), reproduce: module.reproduce };
}

/** The figures a sweep target names: packages (all their figures) and figure ids, comma-separated. */
export async function resolveSweepTarget(target: string): Promise<Array<{ pkg: SweepPackage; id: string }>> {
  const packages = await Promise.all(SWEEP_PACKAGES.map(loadPackage));
  const figures: Array<{ pkg: SweepPackage; id: string }> = [];
  const add = (pkg: SweepPackage, id: string) => {
    if (!figures.some((figure) => figure.id === id)) figures.push({ pkg, id });
  };
  for (const name of target.split(",").map((part) => part.trim())) {
    const pkg = packages.find((candidate) => candidate.name === name);
    const owner = packages.find((candidate) => candidate.figureIds.includes(name));
    if (pkg) for (const id of pkg.figureIds) add(pkg, id);
    else if (owner) add(owner, name);
    else {
      const known = packages.flatMap((candidate) => [candidate.name, ...candidate.figureIds]);
      throw new InputError(`sweep: unknown figure or package "${name}"; allowed: ${known.join(", ")} (comma-separated)`);
    }
  }
  return figures;
}

export interface SweepOptions {
  target: string;
  profile: Profile;
  /** Train on the queue's workers; without it, the local pool. */
  queue?: RedisTarget;
  /** Attempts per run on the queue (default 3). */
  attempts?: number;
  /** Interval of reading the queue (default 1000 ms). */
  pollMs?: number;
  log?: (line: string) => void;
}

export interface SweepReport {
  written: string[];
  failed: Array<{ figure: string; error: string }>;
  /** What the queue did (null for the local pool). */
  queue: QueueStats | null;
}

/** Runs a sweep (see the file comment); resolves with what was written and what failed. */
export async function sweep(options: SweepOptions): Promise<SweepReport> {
  const figures = await resolveSweepTarget(options.target);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const queue = options.queue
    ? createQueueExecutor({ target: options.queue, attempts: options.attempts ?? 3, pollMs: options.pollMs ?? 1000, onStatus: (line) => log(`sweep: ${line}`) })
    : null;
  if (options.queue) log(`sweep: ${figures.length} figure(s) on the queue at ${describeTarget(options.queue)}`);
  const previous = setJobExecutor(queue?.executor ?? null);
  const report: SweepReport = { written: [], failed: [], queue: queue?.stats ?? null };
  try {
    for (const { pkg, id } of figures) {
      try {
        await pkg.reproduce({ profile: options.profile, only: [id] });
        report.written.push(id);
      } catch (error) {
        if (error instanceof InputError) throw error;
        report.failed.push({ figure: id, error: error instanceof Error ? error.message : String(error) });
        log(`sweep: ${id} not written: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  } finally {
    setJobExecutor(previous);
    await queue?.close();
  }
  return report;
}

/** `sweep --status`: the queue's counts, what each worker trains, and the failed runs. */
export async function queueStatus(target: RedisTarget): Promise<string> {
  const queue = new Queue(QUEUE_NAME, { connection: redisOptions(target) });
  try {
    const counts = await queue.getJobCounts("waiting", "active", "delayed", "completed", "failed", "prioritized");
    const lines = [
      `queue ${QUEUE_NAME} at ${describeTarget(target)}: ${counts.waiting! + counts.prioritized! + counts.delayed!} queued, ${counts.active} active, ${counts.completed} done (not yet collected), ${counts.failed} failed`,
    ];
    const workers = await queue.getWorkers();
    lines.push(`workers: ${workers.length ? workers.map((worker) => String(worker.rawname ?? worker.name).replace(/^.*sam-repro-worker-/, "")).join(", ") : "none"}`);
    for (const job of await queue.getActive()) {
      const progress = job.progress as Partial<RunProgress> | number;
      const where = typeof progress === "object" ? `${progress.worker}: epoch ${progress.epoch}/${progress.epochs}, step ${progress.step}/${progress.totalSteps}` : "starting";
      lines.push(`  active ${job.id} (attempt ${job.attemptsMade + 1}) ${where}`);
    }
    for (const job of await queue.getFailed()) lines.push(`  failed ${job.id}: ${job.failedReason.split("\n")[0]}`);
    return lines.join("\n");
  } finally {
    await queue.close();
  }
}
