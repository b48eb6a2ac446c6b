import cliProgress from "cli-progress";
import { quietSetting } from "./settings.js";

export interface Progress {
  /** Advances to `value` (absolute), with extra fields shown after the bar (loss, error, images/s). */
  update(value: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * A progress bar with ETA on an interactive terminal; on a pipe or in CI, a plain line at most every
 * `logEverySeconds`, so logs stay readable. Set SAM_REPRO_QUIET=1 to silence both.
 * `alreadyDone` is the work finished before this call (reused runs, a resumed checkpoint): it counts in the
 * percentage but not in the rate, so the ETA is (total - value) x elapsed / (value - alreadyDone).
 */
export function createProgress(label: string, total: number, logEverySeconds = 10, alreadyDone = 0): Progress {
  if (quietSetting()) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% {value}/{total} | ETA {eta_formatted} | {info}`,
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, alreadyDone, { info: "" });
    return {
      update(value, fields) {
        bar.update(value, { info: formatFields(fields) });
      },
      stop() {
        bar.stop();
      },
    };
  }
  const start = Date.now();
  let lastLog = 0;
  return {
    update(value, fields) {
      const now = Date.now();
      if (now - lastLog < logEverySeconds * 1000 && value < total) return;
      lastLog = now;
      const elapsed = (now - start) / 1000;
      const eta = etaSeconds(elapsed, value, total, alreadyDone);
      process.stderr.write(
        `${label} ${value}/${total} (${((100 * value) / total).toFixed(0)}%) elapsed ${elapsed.toFixed(0)}s ETA ${Number.isFinite(eta) ? eta.toFixed(0) + "s" : "?"} ${formatFields(fields)}\n`,
      );
    },
    stop() {},
  };
}

/** Seconds left at the rate of the work done in this call: elapsed x (total - value) / (value - alreadyDone); NaN before any. */
export function etaSeconds(elapsedSeconds: number, value: number, total: number, alreadyDone = 0): number {
  const doneHere = value - alreadyDone;
  return doneHere > 0 ? (elapsedSeconds * (total - value)) / doneHere : Number.NaN;
}

function formatFields(fields?: Record<string, string | number>): string {
  if (!fields) return "";
  return Object.entries(fields)
    .map(([key, value]) => `${key} ${typeof value === "number" ? formatNumber(value) : value}`)
    .join(" | ");
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && (Math.abs(value) < 1e-3 || Math.abs(value) >= 1e5)) return value.toExponential(3);
  return value.toFixed(4).replace(/\.?0+$/, "");
}
