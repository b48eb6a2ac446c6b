/**
 * @sam-repro/figures: figures in one house style and the reproduction report.
 *
 * Experiment packages build a vega-lite spec with `lineChart` / `pointChart` / `errorBandChart` /
 * `panels` (colors from `CURVES` via `curveScales`) and return it, with the data and the judged claims, as the
 * `FigureOutput` of a `FigureDefinition`'s `produce` (figure-contract.ts). The one driver `reproduceFigures` runs a
 * package's definitions and writes each output with `writeFigure(output)`, which writes
 * reports/<id>/{data.json, spec.vl.json, figure.svg, figure.png, claims.json, meta.json}.
 * `buildReport()` (CLI: `sam-repro report`) gathers every figure into reports/REPORT.md and reports/index.html
 * (contents with verdict counts and a filter, tooltips, zoom, export actions, the paper's values as reference
 * marks, and Fig. 6's experiment rerun live in the browser from implicit-bias's bundled browser entry).
 */
export { VERDICTS, type ClaimResult, type FigureMeta, type FigureOutput, type MachineInfo, type Verdict } from "./types.js";
export {
  CURVES,
  DASHES,
  HOUSE_CONFIG,
  OURS,
  PALETTE,
  PAPER,
  SOURCE_FIELD,
  curveScales,
  errorBandChart,
  houseStyle,
  lineChart,
  mSamCurve,
  panels,
  pointChart,
  referenceLayer,
  tooltipEncoding,
  zoomParams,
  type AxisOptions,
  type ChartOptions,
  type ColorOptions,
  type Curve,
  type DashOptions,
  type FacetOptions,
  type Row,
  type Spec,
} from "./style.js";
export { compileSpec, dejaVuFontFiles, renderSvg, svgToPng } from "./render.js";
export { FIGURE_FILES, gitCommit, machineInfo, writeFigure } from "./write-figure.js";
export { wrapLines, withSubtitleLines } from "./subtitles.js";
export { notRunFigure, notRunSpec } from "./not-run.js";
export {
  checkFiguresMatchConfigs,
  reproduceFigures,
  type FigureDefinition,
  type ReproduceHooks,
  type ReproduceOptions,
} from "./figure-contract.js";
export { buildReport, type ReportSummary } from "./report.js";
export {
  formatDuration,
  formatValue,
  paperFigureNumber,
  readFigures,
  readTimings,
  verdictCounts,
  TIMINGS_FILE,
  type FigureEntry,
  type ReproduceTimings,
} from "./report-data.js";
export { formatNumber, forReaders, withoutInternalReferences } from "./report-text.js";
export { enrichSpec } from "./report-spec.js";
export { addReferenceMarks, FIGURES_WITH_REFERENCE_MARKS } from "./report-references.js";
export { describeRule, figureView, OFFICIAL_CODE, PAPER as PAPER_LINK, type ClaimView, type FigureView } from "./report-model.js";
export { bundleLivePanel, LIVE_PANEL_ENTRY, PURE_MODULES } from "./report-live.js";
export { registerCommands } from "./commands.js";
