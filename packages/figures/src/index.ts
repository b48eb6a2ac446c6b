/**
 * @sam-repro/figures: figures in one house style and the reproduction report.
 *
 * Experiment packages build a vega-lite spec with `lineChart` / `pointChart` / `errorBandChart` /
 * `panels` (colors from `CURVES` via `curveScales`), then call `writeFigure(output)`, which writes
 * reports/<id>/{data.json, spec.vl.json, figure.svg, figure.png, claims.json, meta.json}.
 * `buildReport()` (CLI: `sam-repro report`) gathers every figure into reports/REPORT.md and reports/index.html.
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
export { registerCommands } from "./commands.js";
