import { z } from "zod";
import { CURVES, DASHES, PALETTE, curveScales, lineChart, panels, type ClaimResult, type Curve, type FigureOutput } from "@sam-repro/figures";
import { createProgress, loadExperiment, type ExperimentConfig, type Profile } from "@sam-repro/runner";
import { runOverRhos, type DiagNetMethod } from "../diag-net.js";
import type { RegressionProblem } from "../problem.js";
import { drawsClaim, formatNumber, gammaTimesDSchema, median, notebookProblem, problemsForSeeds, experimentFigureOutput, seedsSchema, sparseProblemSchema } from "./shared.js";

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
  /** Per-draw events of the claims (each claim's verdict: the fraction of draws, claims[].rule). */
  criteria: z.strictObject({
    /** 1-SAM's test loss must not increase along the grid over rho <= this. */
    oneSamMonotoneUpTo: z.number().positive(),
    /** The rho at which 1-SAM must diverge. */
    oneSamDivergesAt: z.number().positive(),
    /**
     * "Diverges" = NaN/Inf, or a collapse: the final train loss stuck at the trivial level, i.e. at least this
     * fraction of the loss of beta = 0 (||y||^2 / 2n), where training ends up when the iterate collapses to 0.
     */
    collapseFraction: z.number().gt(0).max(1),
    /** n-SAM "at ERM's level": ratio within this band for rho <= nSamLevelUpTo. */
    nSamLevelBand: z.tuple([z.number().positive(), z.number().positive()]),
    nSamLevelUpTo: z.number().positive(),
    /** 1-SAM must beat ERM and n-SAM for every rho in this range. */
    oneSamBeatsRange: z.tuple([z.number().positive(), z.number().positive()]),
    /** n-SAM "clearly better" than ERM means a ratio below this. */
    clearlyBetterRatio: z.number().positive(),
  }),
});
type Settings = z.infer<typeof settingsSchema>;

/** One series of the figure: a method at a step size over a rho grid (ERM: one run, drawn flat). */
interface Series {
  key: string;
  /** The notebook's sweep it follows (SPEC 3.5): D4 = ERM, n-SAM and 1-SAM at 15/d; D2 = ERM and n-SAM at 5/d. */
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
const ERM_D4: Curve = { ...CURVES.ermSilver, label: "ERM (γ = 15/d)" };
const ONE_SAM_D4: Curve = { ...CURVES.oneSamOrange, label: "1-SAM (γ = 15/d)" };

function seriesOf(settings: Settings): Series[] {
  const { d4, d2 } = settings;
  return [
    { key: "d4-erm", panel: "D4", method: "gd", gammaTimesD: d4.gdGammaTimesD, rhos: [0], curve: ERM_D4 },
    { key: "d4-nsam-stale", panel: "D4", method: "nsam", gammaTimesD: d4.nSamGammaTimesD, rhos: d4.rhos, curve: NSAM_STALE },
    { key: "d4-nsam-common", panel: "D4", method: "nsam", gammaTimesD: d4.nSamCommonGammaTimesD, rhos: d4.rhos, curve: NSAM_COMMON },
    { key: "d4-1sam", panel: "D4", method: "1sam", gammaTimesD: d4.oneSamGammaTimesD, rhos: d4.rhos, curve: ONE_SAM_D4 },
    { key: "d2-erm", panel: "D2", method: "gd", gammaTimesD: d2.gammaTimesD, rhos: [0], curve: ERM_D2 },
    { key: "d2-nsam", panel: "D2", method: "nsam", gammaTimesD: d2.gammaTimesD, rhos: d2.rhos, curve: NSAM_D2 },
  ];
}

/** Final test loss and divergence of one run, per draw (the generated draws in seed order, then the notebook's data). */
interface GridPoint {
  rho: number;
  testLoss: number[];
  trainLoss: number[];
  diverged: boolean[];
}

/** The rho grid (SPEC 3.5 D2, D4; 5.A2): final test loss vs rho for ERM, n-SAM and 1-SAM. */
export async function reproduceRhoGrid(profile: Profile): Promise<FigureOutput> {
  const config = loadExperiment(RHO_GRID_ID, profile, settingsSchema);
  const settings = config.settings;
  const started = performance.now();
  const notebook = notebookProblem(settings.problem);
  const problems: RegressionProblem[] = [...problemsForSeeds(settings.problem, settings.seeds), ...(notebook ? [notebook] : [])];
  // The loss of beta = 0, where a collapsed run ends: ||y||^2 / (2n).
  const trivialLoss = problems.map((problem) => problem.y.reduce((sum, value) => sum + value * value, 0) / (2 * problem.n));
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
      progress.update(seedIndex * allSeries.length + seriesIndex + 1, { draw: seedIndex < settings.seeds.length ? `seed ${settings.seeds[seedIndex]}` : "notebook", series: series.key });
    });
  });
  progress.stop();

  const drawCount = settings.seeds.length;
  const claims = checkClaims(config, results, trivialLoss, drawCount, notebook !== null);
  // The chart: the generated draws only (the notebook's draw is in data.json and in the claims).
  const generated = new Map([...results].map(([key, points]) => [key, points.map((point) => ({ ...point, testLoss: point.testLoss.slice(0, drawCount), trainLoss: point.trainLoss.slice(0, drawCount), diverged: point.diverged.slice(0, drawCount) }))]));
  const { rows, divergedRows } = figureRows(allSeries, generated);
  // One chart per panel, each with its own legend (its own ERM), side by side.
  const charts = (["D4", "D2"] as const).map((panel) => {
    const mine = allSeries.filter((series) => series.panel === panel);
    const scales = curveScales(mine.map((series) => series.curve));
    const chart = lineChart({
      title: PANEL_TITLES[panel],
      data: rows.filter((row) => row.panel === PANEL_TITLES[panel]),
      x: { field: "rho", title: "Perturbation radius used for training", scale: "log" },
      y: { field: "median", title: "Test loss", scale: "log" },
      color: { field: "method", title: "Training method", ...scales.color },
      strokeDash: { field: "method", ...scales.strokeDash },
      band: { lower: "lower", upper: "upper" },
      points: true,
    });
    addDivergedMarks(chart, divergedRows.filter((row) => row.panel === PANEL_TITLES[panel]));
    return chart;
  });
  const spec = panels({
    title: "Diagonal linear network: test loss of the final model vs perturbation radius",
    subtitle: `alpha=${settings.alpha}, ${settings.iterations} steps; median over ${drawCount} data draws, band: min-max of non-diverged runs; ✕: diverged (NaN/Inf)`,
    charts,
  });
  spec.resolve = { scale: { color: "independent", strokeDash: "independent" } };
  return experimentFigureOutput(config, started, {
    setup: settings,
    scaledDown: profile === "smoke" ? `${settings.iterations} iterations instead of the notebook's 10^4+1 (smoke test).` : undefined,
    data: {
      seeds: settings.seeds,
      notebookDraw: notebook ? "the last entry of every per-draw array is the notebook's data (NumPy seed 0)" : null,
      trivialLoss,
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

/**
 * The claims, each as an event checked on every data draw (judged by the fraction of generated draws on which it
 * occurs) and on the notebook's own data (the last draw, when present).
 */
function checkClaims(config: ExperimentConfig<Settings>, results: Map<string, GridPoint[]>, trivialLoss: number[], drawCount: number, withNotebook: boolean): ClaimResult[] {
  const { criteria } = config.settings;
  const points = (key: string) => results.get(key)!;
  const erm = (key: string) => points(key)[0]!;
  const list = (values: Array<[number, number]>) => values.map(([rho, value]) => `rho ${rho}: ${formatNumber(value)}`).join(", ");
  const medianOver = (point: GridPoint) => median(point.testLoss.slice(0, drawCount));
  const [low, high] = criteria.oneSamBeatsRange;
  const oneSam = points("d4-1sam");
  const nSamStale = points("d4-nsam-stale");
  const nSamCommon = points("d4-nsam-common");
  const largest = oneSam.find((point) => point.rho === criteria.oneSamDivergesAt);
  // A diverged run's loss counts as +Infinity (worst).
  const loss = (point: GridPoint, k: number) => (point.diverged[k] || Number.isNaN(point.testLoss[k]!) ? Number.POSITIVE_INFINITY : point.testLoss[k]!);
  const ratios = (series: GridPoint[], base: GridPoint, k: number) => series.map((point) => [point.rho, loss(point, k) / loss(base, k)] as [number, number]);

  const events = {
    decreases: (k: number) => {
      const values = oneSam.filter((point) => point.rho <= criteria.oneSamMonotoneUpTo).map((point) => loss(point, k));
      return values.every((value, index) => Number.isFinite(value) && (index === 0 || value <= values[index - 1]!));
    },
    diverges: (k: number) => Boolean(largest) && (largest!.diverged[k]! || !Number.isFinite(largest!.trainLoss[k]!) || largest!.trainLoss[k]! >= criteria.collapseFraction * trivialLoss[k]!),
    nSamLevel: (k: number) => {
      const level = ratios(nSamStale, erm("d4-erm"), k);
      return level.filter(([rho]) => rho <= criteria.nSamLevelUpTo).every(([, ratio]) => ratio >= criteria.nSamLevelBand[0] && ratio <= criteria.nSamLevelBand[1]) && level[level.length - 1]![1] > 1;
    },
    beatsBoth: (k: number) =>
      oneSam
        .filter((point) => point.rho >= low && point.rho <= high)
        .every((point) => loss(point, k) < loss(erm("d4-erm"), k) && loss(point, k) < loss(nSamStale.find((other) => other.rho === point.rho)!, k)),
    neverBetter: (k: number) =>
      [...ratios(nSamStale, erm("d4-erm"), k), ...ratios(nSamCommon, erm("d4-erm"), k)].every(([, ratio]) => ratio >= criteria.clearlyBetterRatio) &&
      ratios(points("d2-nsam"), erm("d2-erm"), k).every(([, ratio]) => ratio >= 1),
  };
  const draws = Array.from({ length: drawCount }, (_, k) => k);
  const check = (event: (k: number) => boolean, value: (k: number) => string) => ({
    heldPerDraw: draws.map(event),
    notebook: withNotebook ? { held: event(drawCount), value: value(drawCount) } : null,
  });
  const medians = (series: GridPoint[], upTo = Number.POSITIVE_INFINITY) => list(series.filter((point) => point.rho <= upTo).map((point) => [point.rho, medianOver(point)]));
  const divergedDraws = largest ? draws.filter((k) => largest.diverged[k]).length : 0;
  const collapsedDraws = largest ? draws.filter((k) => !largest.diverged[k] && events.diverges(k)).length : 0;
  return [
    drawsClaim(config, "one-sam-decreases-with-rho", {
      ...check(events.decreases, (k) => list(oneSam.filter((point) => point.rho <= criteria.oneSamMonotoneUpTo).map((point) => [point.rho, loss(point, k)]))),
      ourValue: `1-SAM median test loss: ${medians(oneSam, criteria.oneSamMonotoneUpTo)}`,
      details: `A draw counts when 1-SAM's final test loss does not increase along the grid up to rho = ${criteria.oneSamMonotoneUpTo} (gamma = ${config.settings.d4.oneSamGammaTimesD}/d).`,
    }),
    largest
      ? drawsClaim(config, "one-sam-diverges-large-rho", {
          ...check(events.diverges, (k) => (largest.diverged[k] ? "NaN/Inf" : `final train loss ${formatNumber(largest.trainLoss[k]!)} vs trivial ${formatNumber(trivialLoss[k]!)}`)),
          ourValue: `rho = ${largest.rho}: NaN/Inf on ${divergedDraws} draws, collapsed on ${collapsedDraws}`,
          details: `A draw counts when 1-SAM at rho = ${largest.rho} ends in NaN/Inf or collapses: its final train loss stays at >= ${criteria.collapseFraction} x the loss of beta = 0 (||y||^2 / 2n).`,
        })
      : drawsClaim(config, "one-sam-diverges-large-rho", { heldPerDraw: [], notebook: null, ourValue: `rho ${criteria.oneSamDivergesAt} not in the grid`, details: "The grid lacks the rho the criterion names." }),
    drawsClaim(config, "nsam-at-erm-level", {
      ...check(events.nSamLevel, (k) => list(ratios(nSamStale, erm("d4-erm"), k))),
      ourValue: `n-SAM (gamma = ${config.settings.d4.nSamGammaTimesD}/d) / ERM, ratio of medians: ${list(nSamStale.map((point) => [point.rho, medianOver(point) / medianOver(erm("d4-erm"))]))}`,
      details: `A draw counts when n-SAM / ERM lies in [${criteria.nSamLevelBand.join(", ")}] for rho <= ${criteria.nSamLevelUpTo} and is above 1 at the largest rho.`,
    }),
    drawsClaim(config, "one-sam-beats-both", {
      ...check(events.beatsBoth, (k) => `ERM ${formatNumber(loss(erm("d4-erm"), k))}; 1-SAM ${list(oneSam.filter((point) => point.rho >= low && point.rho <= high).map((point) => [point.rho, loss(point, k)]))}`),
      ourValue: `median test loss: ERM ${formatNumber(medianOver(erm("d4-erm")))}; 1-SAM ${medians(oneSam.filter((point) => point.rho >= low && point.rho <= high))}; n-SAM ${medians(nSamStale.filter((point) => point.rho >= low && point.rho <= high))}`,
      details: `A draw counts when, for every rho in [${low}, ${high}], 1-SAM's final test loss is below both ERM's and n-SAM's (notebook step size).`,
    }),
    drawsClaim(config, "nsam-never-better", {
      ...check(events.neverBetter, (k) => `n-SAM / ERM at 5/d: ${list(ratios(points("d2-nsam"), erm("d2-erm"), k))}`),
      ourValue: `n-SAM / ERM ratio of medians at the common step size 5/d: ${list(points("d2-nsam").map((point) => [point.rho, medianOver(point) / medianOver(erm("d2-erm"))]))}`,
      details: `A draw counts when every n-SAM / ERM ratio at 15/d and at the notebook's 10/d is >= ${criteria.clearlyBetterRatio}, and every ratio at the common 5/d is >= 1.`,
    }),
  ];
}

function figureRows(allSeries: Series[], results: Map<string, GridPoint[]>) {
  const rows: Array<Record<string, unknown>> = [];
  const divergedRows: Array<Record<string, unknown>> = [];
  const panelName = PANEL_TITLES;
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

/** Panel titles by content (the notebook's sweep names stay in the code). */
const PANEL_TITLES = { D4: "(a) ERM, n-SAM and 1-SAM at γ = 15/d (n-SAM also at 10/d)", D2: "(b) ERM and n-SAM at a common γ = 5/d" } as const;

/** Adds ✕ marks at the top of each panel for the (method, rho) cells where runs diverged. */
function addDivergedMarks(spec: Record<string, unknown>, divergedRows: Array<Record<string, unknown>>): void {
  if (divergedRows.length === 0) return;
  const values = (spec.data as { values: unknown[] }).values;
  values.push(...divergedRows.map((row) => ({ ...row, source: "diverged" })));
  const inner = (spec.layer ? spec : spec.spec) as { layer: Array<Record<string, unknown>> };
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

/** The settings of one profile of experiments/diag-net-rho-grid.json (the JSON Schema generator reads it too). */
export { settingsSchema as rhoGridSettingsSchema };
