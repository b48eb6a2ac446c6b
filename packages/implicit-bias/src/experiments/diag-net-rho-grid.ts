import { z } from "zod";
import { CURVES, DASHES, PALETTE, curveScales, lineChart, type ClaimResult, type Curve } from "@sam-repro/figures";
import { createProgress, loadExperiment, type ExperimentConfig, type Profile } from "@sam-repro/runner";
import { runOverRhos, type DiagNetMethod } from "../diag-net.js";
import {
  checkedClaim,
  formatNumber,
  gammaTimesDSchema,
  median,
  problemsForSeeds,
  remainingClaims,
  writeExperimentFigure,
  seedsSchema,
  sparseProblemSchema,
} from "./shared.js";

export const RHO_GRID_ID = "diag-net-rho-grid";

const settingsSchema = z.strictObject({
  problem: sparseProblemSchema,
  seeds: seedsSchema,
  alpha: z.number().positive(),
  iterations: z.number().int().min(1),
  /** D4 (SPEC 3.5): GD and 1-SAM at 15/d, n-SAM at the notebook's stale 10/d and at the common 15/d. */
  d4: z.strictObject({
    rhos: z.array(z.number().positive()).min(2),
    gdGammaTimesD: gammaTimesDSchema,
    oneSamGammaTimesD: gammaTimesDSchema,
    nSamGammaTimesD: gammaTimesDSchema,
    nSamCommonGammaTimesD: gammaTimesDSchema,
  }),
  /** D2: GD and n-SAM at one common step size. */
  d2: z.strictObject({ rhos: z.array(z.number().positive()).min(1), gammaTimesD: gammaTimesDSchema }),
  criteria: z.strictObject({
    /** 1-SAM's median test loss must not increase over rho <= this. */
    oneSamMonotoneUpTo: z.number().positive(),
    /** The rho at which 1-SAM must diverge on every seed. */
    oneSamDivergesAt: z.number().positive(),
    /** n-SAM "at ERM's level": median ratio within this band for rho <= nSamLevelUpTo. */
    nSamLevelBand: z.tuple([z.number().positive(), z.number().positive()]),
    nSamLevelUpTo: z.number().positive(),
    /** 1-SAM must beat ERM and n-SAM for every rho in this range. */
    oneSamBeatsRange: z.tuple([z.number().positive(), z.number().positive()]),
    /** n-SAM "clearly better" than ERM means a median ratio below this. */
    clearlyBetterRatio: z.number().positive(),
  }),
});
type Settings = z.infer<typeof settingsSchema>;

/** One series of the figure: a method at a step size over a rho grid (ERM: one run, drawn flat). */
interface Series {
  key: string;
  panel: "D4" | "D2";
  method: DiagNetMethod;
  gammaTimesD: number;
  rhos: number[];
  curve: Curve;
}

const NSAM_COMMON: Curve = { label: "n-SAM (common γ = 15/d)", color: PALETTE.red, dash: DASHES.dashed };
const NSAM_STALE: Curve = { ...CURVES.nSamRed, label: "n-SAM (γ = 10/d, notebook)" };
const NSAM_D2: Curve = { ...CURVES.nSamRed, label: "n-SAM (γ = 5/d)" };
const ERM_D2: Curve = { ...CURVES.ermSilver, label: "ERM (γ = 5/d)" };

function seriesOf(settings: Settings): Series[] {
  const { d4, d2 } = settings;
  return [
    { key: "d4-erm", panel: "D4", method: "gd", gammaTimesD: d4.gdGammaTimesD, rhos: [0], curve: CURVES.ermSilver },
    { key: "d4-nsam-stale", panel: "D4", method: "nsam", gammaTimesD: d4.nSamGammaTimesD, rhos: d4.rhos, curve: NSAM_STALE },
    { key: "d4-nsam-common", panel: "D4", method: "nsam", gammaTimesD: d4.nSamCommonGammaTimesD, rhos: d4.rhos, curve: NSAM_COMMON },
    { key: "d4-1sam", panel: "D4", method: "1sam", gammaTimesD: d4.oneSamGammaTimesD, rhos: d4.rhos, curve: CURVES.oneSamOrange },
    { key: "d2-erm", panel: "D2", method: "gd", gammaTimesD: d2.gammaTimesD, rhos: [0], curve: ERM_D2 },
    { key: "d2-nsam", panel: "D2", method: "nsam", gammaTimesD: d2.gammaTimesD, rhos: d2.rhos, curve: NSAM_D2 },
  ];
}

/** Final test loss and divergence of one run, per seed. */
interface GridPoint {
  rho: number;
  testLoss: number[];
  trainLoss: number[];
  diverged: boolean[];
}

/** The rho grid (SPEC 3.5 D2, D4; 5.A2): final test loss vs rho for ERM, n-SAM and 1-SAM. */
export async function reproduceRhoGrid(profile: Profile): Promise<string> {
  const config = loadExperiment(RHO_GRID_ID, profile, settingsSchema);
  const settings = config.settings;
  const started = performance.now();
  const problems = problemsForSeeds(settings.problem, settings.seeds);
  const allSeries = seriesOf(settings);
  const progress = createProgress(RHO_GRID_ID, problems.length * allSeries.length);
  const results = new Map<string, GridPoint[]>();
  for (const series of allSeries) {
    results.set(series.key, series.rhos.map((rho) => ({ rho, testLoss: [], trainLoss: [], diverged: [] })));
  }
  problems.forEach((problem, seedIndex) => {
    allSeries.forEach((series, seriesIndex) => {
      const runs = runOverRhos(problem, settings.alpha, settings.iterations, series);
      runs.forEach((run, rhoIndex) => {
        const point = results.get(series.key)![rhoIndex]!;
        point.testLoss.push(run.testLoss);
        point.trainLoss.push(run.trainLoss);
        point.diverged.push(run.diverged);
      });
      progress.update(seedIndex * allSeries.length + seriesIndex + 1, { seed: settings.seeds[seedIndex]!, series: series.key });
    });
  });
  progress.stop();

  const claims = checkClaims(config, results);
  const { rows, divergedRows } = figureRows(allSeries, results);
  const curves = allSeries.map((series) => series.curve);
  const scales = curveScales(curves);
  const spec = lineChart({
    title: "Diagonal linear network: test loss of the final model vs perturbation radius",
    subtitle: `alpha=${settings.alpha}, ${settings.iterations} steps; median over ${settings.seeds.length} seeds, band: min-max of non-diverged runs; ✕: diverged (NaN/Inf)`,
    data: rows,
    x: { field: "rho", title: "Perturbation radius used for training", scale: "log" },
    y: { field: "median", title: "Test loss", scale: "log" },
    color: { field: "method", title: "Training method", ...scales.color },
    strokeDash: { field: "method", ...scales.strokeDash },
    band: { lower: "lower", upper: "upper" },
    facet: { field: "panel", columns: 2 },
    points: true,
  });
  addDivergedMarks(spec, divergedRows);
  return writeExperimentFigure(config, started, {
    setup: settings,
    scaledDown: profile === "smoke" ? `${settings.iterations} iterations instead of the notebook's 10^4+1 (smoke test).` : undefined,
    data: {
      seeds: settings.seeds,
      series: allSeries.map((series) => ({
        key: series.key,
        panel: series.panel,
        label: series.curve.label,
        method: series.method,
        gammaTimesD: series.gammaTimesD,
        points: results.get(series.key),
      })),
      rows,
    },
    spec,
    claims,
  });
}

function checkClaims(config: ExperimentConfig<Settings>, results: Map<string, GridPoint[]>): ClaimResult[] {
  const { criteria } = config.settings;
  const seeds = config.settings.seeds;
  const erm = (key: string) => results.get(key)![0]!;
  const points = (key: string) => results.get(key)!;
  const medianTest = (point: GridPoint) => median(point.testLoss);
  const list = (values: Array<[number, number]>) => values.map(([rho, value]) => `rho ${rho}: ${formatNumber(value)}`).join(", ");

  const oneSam = points("d4-1sam");
  const monotone = oneSam.filter((point) => point.rho <= criteria.oneSamMonotoneUpTo);
  const monotoneMedians = monotone.map((point) => [point.rho, medianTest(point)] as [number, number]);
  const isMonotone = monotoneMedians.every(([, value], index) => index === 0 || value <= monotoneMedians[index - 1]![1]);
  const largest = oneSam.find((point) => point.rho === criteria.oneSamDivergesAt);
  const divergedCount = largest ? largest.diverged.filter(Boolean).length : 0;

  const ermD4 = medianTest(erm("d4-erm"));
  const nSamStale = points("d4-nsam-stale");
  const nSamCommon = points("d4-nsam-common");
  const levelRatios = nSamStale.map((point) => [point.rho, medianTest(point) / ermD4] as [number, number]);
  const levelOk = levelRatios
    .filter(([rho]) => rho <= criteria.nSamLevelUpTo)
    .every(([, ratio]) => ratio >= criteria.nSamLevelBand[0] && ratio <= criteria.nSamLevelBand[1]);
  const worseAtLargest = levelRatios[levelRatios.length - 1]![1] > 1;

  const [low, high] = criteria.oneSamBeatsRange;
  const beatsRhos = oneSam.filter((point) => point.rho >= low && point.rho <= high);
  let seedWins = 0;
  let seedComparisons = 0;
  const beatsMedians = beatsRhos.map((point) => {
    const nSam = nSamStale.find((other) => other.rho === point.rho)!;
    const ermTest = erm("d4-erm").testLoss;
    point.testLoss.forEach((value, seed) => {
      seedComparisons++;
      if (value < ermTest[seed]! && value < nSam.testLoss[seed]!) seedWins++;
    });
    return { rho: point.rho, oneSam: medianTest(point), nSam: medianTest(nSam) };
  });
  const beatsBoth = beatsMedians.every((entry) => entry.oneSam < ermD4 && entry.oneSam < entry.nSam);

  const ermD2 = medianTest(erm("d2-erm"));
  const d2Ratios = points("d2-nsam").map((point) => [point.rho, medianTest(point) / ermD2] as [number, number]);
  const staleRatios = levelRatios;
  const commonRatios = nSamCommon.map((point) => [point.rho, medianTest(point) / ermD4] as [number, number]);
  const neverClearlyBetter = [...staleRatios, ...commonRatios].every(([, ratio]) => ratio >= criteria.clearlyBetterRatio);
  const neverBetterCommon = d2Ratios.every(([, ratio]) => ratio >= 1);

  const claims: ClaimResult[] = [
    checkedClaim(
      config,
      "one-sam-decreases-with-rho",
      `1-SAM median test loss: ${list(monotoneMedians)}`,
      isMonotone,
      `Criterion: the median over seeds does not increase along the grid up to rho = ${criteria.oneSamMonotoneUpTo}. Per-seed values in data.json.`,
    ),
    checkedClaim(
      config,
      "one-sam-diverges-large-rho",
      largest ? `diverged on ${divergedCount} of ${seeds.length} seeds at rho = ${largest.rho}` : `rho ${criteria.oneSamDivergesAt} not in the grid`,
      Boolean(largest) && divergedCount === seeds.length,
      largest
        ? `Criterion: NaN/Inf on every seed. The runs that did not diverge ended with train losses ${largest.trainLoss
            .filter((_, seed) => !largest.diverged[seed])
            .map(formatNumber)
            .join(", ") || "(none)"} (a collapse to beta = 0 gives about 0.5).`
        : "The grid lacks the rho the criterion names.",
    ),
    checkedClaim(
      config,
      "nsam-at-erm-level",
      `n-SAM (gamma = ${config.settings.d4.nSamGammaTimesD}/d) / ERM median test loss: ${list(staleRatios)}`,
      levelOk && worseAtLargest,
      `Criterion: ratio within [${criteria.nSamLevelBand.join(", ")}] for rho <= ${criteria.nSamLevelUpTo} and above 1 at the largest rho. ` +
        `At the common step size 15/d: ${list(commonRatios)}.`,
    ),
    checkedClaim(
      config,
      "one-sam-beats-both",
      `median test loss, ERM ${formatNumber(ermD4)}; ${beatsMedians
        .map((entry) => `rho ${entry.rho}: 1-SAM ${formatNumber(entry.oneSam)} vs n-SAM ${formatNumber(entry.nSam)}`)
        .join("; ")}`,
      beatsBoth,
      `Criterion: for every rho in [${low}, ${high}], the 1-SAM median is below both the ERM and the n-SAM (notebook step size) medians. ` +
        `Per seed, 1-SAM beats both in ${seedWins} of ${seedComparisons} (seed, rho) pairs.`,
    ),
    checkedClaim(
      config,
      "nsam-never-better",
      `n-SAM / ERM median test loss at the common step size 5/d (D2): ${list(d2Ratios)}`,
      neverClearlyBetter && neverBetterCommon,
      `Criterion: in D4 every n-SAM/ERM median ratio (both n-SAM step sizes) >= ${criteria.clearlyBetterRatio}, and in D2 every ratio >= 1. ` +
        `D4 ratios: notebook step size ${list(staleRatios)}; common step size ${list(commonRatios)}.`,
    ),
  ];
  return [...claims, ...remainingClaims(config, claims, "not checked by this figure's code")];
}

function figureRows(allSeries: Series[], results: Map<string, GridPoint[]>) {
  const rows: Array<Record<string, unknown>> = [];
  const divergedRows: Array<Record<string, unknown>> = [];
  const panelName = { D4: "(a) D4: GD and 1-SAM at γ = 15/d", D2: "(b) D2: GD and n-SAM at γ = 5/d" } as const;
  for (const series of allSeries) {
    const points = results.get(series.key)!;
    const grid = series.method === "gd" ? allSeries.filter((other) => other.panel === series.panel).flatMap((other) => other.rhos).filter((rho) => rho > 0) : series.rhos;
    const rhos = [...new Set(grid)].sort((a, b) => a - b);
    for (const rho of rhos) {
      const point = series.method === "gd" ? points[0]! : points.find((candidate) => candidate.rho === rho)!;
      const finite = point.testLoss.filter((value, seed) => !point.diverged[seed] && Number.isFinite(value));
      const divergedCount = point.diverged.filter(Boolean).length;
      rows.push({
        panel: panelName[series.panel],
        method: series.curve.label,
        rho,
        median: median(point.testLoss),
        lower: finite.length ? Math.min(...finite) : null,
        upper: finite.length ? Math.max(...finite) : null,
        diverged: divergedCount,
      });
      if (divergedCount > 0) {
        divergedRows.push({ panel: panelName[series.panel], method: series.curve.label, rho, diverged: `${divergedCount} diverged` });
      }
    }
  }
  return { rows, divergedRows };
}

/** Adds ✕ marks at the top of each panel for the (method, rho) cells where runs diverged. */
function addDivergedMarks(spec: Record<string, unknown>, divergedRows: Array<Record<string, unknown>>): void {
  if (divergedRows.length === 0) return;
  const values = (spec.data as { values: unknown[] }).values;
  values.push(...divergedRows.map((row) => ({ ...row, source: "diverged" })));
  const inner = spec.spec as { layer: Array<Record<string, unknown>> };
  inner.layer.push({
    transform: [{ filter: "datum.source === 'diverged'" }],
    mark: { type: "text", text: "✕", fontSize: 14, baseline: "top", dy: 2 },
    encoding: {
      x: { field: "rho", type: "quantitative", scale: { type: "log" } },
      y: { value: 0 },
      color: { field: "method", type: "nominal" },
      tooltip: [{ field: "diverged", type: "nominal" }],
    },
  });
}
