import type { StepKind } from "./bench-worker.js";
import { STEP_KINDS } from "./bench-worker.js";
import type { MSamKind } from "./bench-ratios.js";
import type { TrainingBenchReport } from "./training-bench.js";

/** Column titles of the step kinds. */
export const STEP_LABELS: Record<StepKind, string> = { sgd: "SGD", sam: "SAM", msam: "m-SAM", msam8: "8-SAM", msam16: "16-SAM" };

/** images/s for the table: "-" when not measured. */
export const fmt = (x: number | undefined) => (x == null || x === 0 ? "-" : x >= 100 ? x.toFixed(0) : x.toFixed(1));

/** The printed summary: images/s per backend, round and step, peak memory, and the ratio to PyTorch (best rounds). */
export function table(report: TrainingBenchReport): string {
  const rows = [["model", "backend", ...STEP_KINDS.map((k) => `${STEP_LABELS[k]} img/s`), "peak RSS MiB", "note"]];
  const speeds = (steps: Partial<Record<StepKind, { imagesPerSecond: number }>>) => STEP_KINDS.map((k) => fmt(steps[k]?.imagesPerSecond));
  for (const m of report.models) {
    const round = (r: { round?: number }) => (m.tfjs.some((t) => (t.round ?? 1) > 1) ? ` #${r.round ?? 1}` : "");
    for (const r of m.tfjs) rows.push([m.model, `${r.backend}${round(r)}`, ...speeds(r.steps), r.peakRssMiB.toFixed(0), r.error ?? ""]);
    for (const t of m.pytorch) rows.push([m.model, `pytorch x${t.threads}${round(t)}`, ...speeds(t.steps), (t.peakRssMiB ?? 0).toFixed(0), t.error ?? ""]);
    const ratio = (kind: StepKind) => {
      const r = m.ratioToPytorch[kind];
      return r ? `${r.wallClock.toFixed(2)} (${r.perCpuSecond.toFixed(2)}/cpu-s)` : "-";
    };
    if (Object.keys(m.ratioToPytorch).length > 0) rows.push([m.model, "ours / pytorch", ...STEP_KINDS.map(ratio), "", ""]);
    const toSam = (kind: StepKind) => {
      const r = (m.ratioToSam ?? {})[kind as MSamKind];
      return r ? `${r.wallClock.toFixed(2)} (${r.cpu.toFixed(2)} cpu)` : "";
    };
    if (Object.keys(m.ratioToSam ?? {}).length > 0) rows.push([m.model, "step time / SAM", ...STEP_KINDS.map(toSam), "", ""]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd()).join("\n");
}
