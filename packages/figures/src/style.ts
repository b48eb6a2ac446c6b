/**
 * House style for every figure: one palette with the paper's curve colors (SPEC 3.2-3.9), one
 * font (DejaVu Sans, which the PNG renderer ships), and small builders that return vega-lite specs
 * with inline data. The builders are pure: rows in, a JSON spec out.
 */

import { OURS, PAPER, SOURCE_FIELD, referenceLayer, tooltipEncoding, zoomParams } from "./style-layers.js";

export { OURS, PAPER, SOURCE_FIELD, referenceLayer, tooltipEncoding, zoomParams, type TooltipField } from "./style-layers.js";
export { CURVES, DASHES, PALETTE, curveScales, mSamCurve, type Curve } from "./style-curves.js";

export type Row = Record<string, unknown>;
export type Spec = Record<string, unknown>;

/** The consistent config: DejaVu Sans everywhere (the PNG renderer has exactly that font), sizes, axes. */
export const HOUSE_CONFIG: Spec = {
  font: "DejaVu Sans",
  background: "white",
  view: { continuousWidth: 360, continuousHeight: 240, stroke: "#9a9a9a" },
  title: { fontSize: 15, fontWeight: "bold", anchor: "start", offset: 10, subtitleFontSize: 12, subtitleColor: "#444" },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: "normal",
    labelColor: "#222",
    titleColor: "#222",
    domainColor: "#444",
    tickColor: "#444",
    gridColor: "#e8e8e8",
  },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal", symbolStrokeWidth: 2.5, labelLimit: 280, titleLimit: 280 },
  header: { labelFontSize: 12, titleFontSize: 12, labelFontWeight: "bold" },
  line: { strokeWidth: 2 },
  point: { size: 36, filled: true },
  rule: { strokeWidth: 1.5 },
  concat: { spacing: 24 },
  facet: { spacing: 24 },
};

const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** Applies the house config under the spec's own (the spec's settings win); idempotent. */
export function houseStyle(spec: Spec): Spec {
  const own = isPlainObject(spec.config) ? spec.config : {};
  return { $schema: VEGA_LITE_SCHEMA, ...spec, config: mergeDeep(HOUSE_CONFIG, own) };
}

/** An axis: which field, its title, log or linear (log where the paper uses it), optional fixed domain. */
export interface AxisOptions {
  field: string;
  title: string;
  scale?: "log" | "linear";
  /** Fixed axis range; marks outside it are clipped (Fig. 1 draws off-chart points this way). */
  domain?: [number, number];
  /** d3-format string for tick labels, e.g. ".1f", ".0%", "~e". */
  format?: string;
  /** Linear axes start at the data, not at zero, unless this is true. */
  zero?: boolean;
}

export interface ColorOptions {
  field: string;
  title: string;
  domain?: string[];
  range?: string[];
}

export interface DashOptions {
  field: string;
  title?: string;
  domain?: string[];
  range?: number[][];
}

export interface FacetOptions {
  field: string;
  title?: string;
  columns?: number;
  /** Each panel gets its own y scale (e.g. CIFAR-10 and CIFAR-100 error ranges). */
  independentY?: boolean;
}

export interface ChartOptions {
  title: string;
  subtitle?: string;
  /** Our rows. Non-finite numbers become null (a diverged run leaves a gap, not a crash). */
  data: Row[];
  x: AxisOptions;
  y: AxisOptions;
  color?: ColorOptions;
  strokeDash?: DashOptions;
  /** One panel per value of a field (same scales unless independentY). */
  facet?: FacetOptions;
  /** Paper values drawn beside ours as hollow diamonds, with the same x/y/color/facet fields. */
  referenceRows?: Row[];
  /** A vertical dashed line at this x (e.g. the switch point of Fig. 9). */
  ruleX?: number;
  /** A shaded band between two fields of our rows (seed spread, confidence interval). */
  band?: { lower: string; upper: string };
  /** Separate lines per value of this field within one color (e.g. per seed). */
  detail?: string;
  /** Lines also get point markers. */
  points?: boolean;
  width?: number;
  height?: number;
}

/** Lines of y over x, one per color value, with optional band, paper reference points, rule and facets. */
export function lineChart(options: ChartOptions): Spec {
  return chart(options, "line");
}

/** Points of y over x (scatter), with the same options as `lineChart`. */
export function pointChart(options: ChartOptions): Spec {
  return chart(options, "point");
}

/** Lines with a shaded band between `band.lower` and `band.upper` (required here). */
export function errorBandChart(options: ChartOptions & { band: { lower: string; upper: string } }): Spec {
  return chart(options, "line");
}

/** Side-by-side panels with their own data and scales (color legends merge when the labels agree). */
export function panels(options: { title: string; subtitle?: string; charts: Spec[]; columns?: number }): Spec {
  const inner = options.charts.map((spec) => {
    const { $schema: _schema, config: _config, ...rest } = spec;
    return rest;
  });
  return houseStyle({
    title: titleOf(options.title, options.subtitle),
    concat: inner,
    columns: options.columns ?? inner.length,
    resolve: { scale: { color: "shared", strokeDash: "shared" } },
  });
}

function chart(options: ChartOptions, markType: "line" | "point"): Spec {
  const ours = options.data.map((row) => ({ ...sanitizeRow(row), [SOURCE_FIELD]: OURS }));
  const reference = (options.referenceRows ?? []).map((row) => ({ ...sanitizeRow(row), [SOURCE_FIELD]: PAPER }));
  const fromSource = (source: string) => `datum[${JSON.stringify(SOURCE_FIELD)}] === ${JSON.stringify(source)}`;
  const plottable = [validFor(options.x), validFor(options.y)];

  const x = positionEncoding(options.x, "x");
  const y = positionEncoding(options.y, "y");
  const color = options.color ? colorEncoding(options.color) : undefined;
  const clip = Boolean(options.x.domain || options.y.domain);
  const domainFilters = [options.x, options.y].flatMap((axis) => (axis.domain ? [{ filter: { field: axis.field, range: axis.domain } }] : []));

  const layers: Spec[] = [];
  if (options.band) {
    const { lower, upper } = options.band;
    layers.push({
      transform: [{ filter: fromSource(OURS) }, { filter: validFor(options.x) }, { filter: validField(lower, options.y.scale) }, { filter: validField(upper, options.y.scale) }],
      mark: { type: "area", opacity: 0.18, clip },
      encoding: {
        x,
        y: { ...y, field: lower },
        y2: { field: upper },
        ...(color ? { color: lineLegend(color) } : {}),
        ...(options.detail ? { detail: { field: options.detail, type: "nominal" } } : {}),
      },
    });
  }
  const tooltip = tooltipEncoding({
    rows: [...ours, ...reference],
    x: options.x,
    y: options.y,
    ...(options.color ? { color: options.color } : {}),
    ...(options.facet ? { facetField: options.facet.field } : {}),
    ...(options.detail ? { detailField: options.detail } : {}),
    ...(options.band ? { band: options.band } : {}),
  });
  const zoomable = options.x.scale === "log" || options.y.scale === "log";
  layers.push({
    transform: [{ filter: fromSource(OURS) }, ...plottable.map((filter) => ({ filter }))],
    // Lines carry invisible points so that a tooltip shows wherever a recorded value is; with a fixed domain
    // they go in a layer of their own limited to that domain (resvg aborts on clipped points far outside it).
    mark: markType === "line" ? { type: "line", clip, point: options.points ? true : domainFilters.length ? false : { opacity: 0, size: 60 } } : { type: "point", clip },
    ...(zoomable ? { params: zoomParams("zoom") } : {}),
    encoding: {
      tooltip,
      x,
      y,
      ...(color ? { color: markType === "line" ? lineLegend(color) : color } : {}),
      ...(options.strokeDash ? { strokeDash: dashEncoding(options.strokeDash, options.color) } : {}),
      ...(options.detail ? { detail: { field: options.detail, type: "nominal" } } : {}),
    },
  });
  if (markType === "line" && !options.points && domainFilters.length) {
    layers.push({
      transform: [{ filter: fromSource(OURS) }, ...plottable.map((filter) => ({ filter })), ...domainFilters],
      mark: { type: "point", opacity: 0, size: 60, clip },
      encoding: { tooltip, x, y },
    });
  }
  if (reference.length > 0) {
    layers.push(referenceLayer({ x, y, ...(color ? { color } : {}), tooltip, clip, filters: plottable }));
  }
  if (options.ruleX !== undefined) {
    layers.push({
      mark: { type: "rule", strokeDash: [5, 4], color: "#555" },
      encoding: { x: { datum: options.ruleX, type: "quantitative" } },
    });
  }

  const size = { width: options.width ?? 360, height: options.height ?? 240 };
  const values = [...ours, ...reference];
  const title = titleOf(options.title, options.subtitle);
  if (options.facet) {
    return houseStyle({
      title,
      data: { values },
      facet: { field: options.facet.field, type: "nominal", title: options.facet.title ?? null, sort: null },
      columns: options.facet.columns ?? 2,
      spec: { ...size, layer: layers },
      ...(options.facet.independentY ? { resolve: { scale: { y: "independent" } } } : {}),
    });
  }
  return houseStyle({ title, data: { values }, ...size, layer: layers });
}

function titleOf(text: string, subtitle?: string): Spec | string {
  return subtitle ? { text, subtitle } : text;
}

function positionEncoding(axis: AxisOptions, channel: "x" | "y"): Spec {
  const scale: Spec = {};
  if (axis.scale === "log") scale.type = "log";
  else scale.zero = axis.zero ?? false;
  if (axis.domain) scale.domain = axis.domain;
  const axisSpec: Spec = {};
  if (axis.format) axisSpec.format = axis.format;
  // Log axes label only powers of ten, as the paper's log axes do, and fade the grid lines between them.
  if (axis.scale === "log") {
    const powerOfTen = "abs(log(datum.value) / LN10 - round(log(datum.value) / LN10)) < 1e-6";
    if (!axis.format) axisSpec.labelExpr = `${powerOfTen} ? '10' + ${superscript("round(log(datum.value) / LN10)")} : ''`;
    axisSpec.gridOpacity = { condition: { test: powerOfTen, value: 1 }, value: 0.35 };
  }
  if (channel === "x" && axis.scale === "log") axisSpec.labelFlush = false;
  return { field: axis.field, type: "quantitative", title: axis.title, scale, axis: axisSpec };
}

// A vega expression that writes an integer expression with superscript digits (10⁻², 10⁶).
function superscript(integerExpression: string): string {
  const glyphs = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"];
  let text = `toString(${integerExpression})`;
  glyphs.forEach((glyph, digit) => {
    text = `replace(${text}, regexp('${digit}', 'g'), '${glyph}')`;
  });
  return `replace(${text}, '-', '⁻')`;
}

// Lines and their bands share one legend; stroke symbols show each line's color and dash.
function lineLegend(color: Spec): Spec {
  return { ...color, legend: { symbolType: "stroke", symbolOpacity: 1 } };
}

function colorEncoding(color: ColorOptions): Spec {
  const scale: Spec = {};
  if (color.domain) scale.domain = color.domain;
  if (color.range) scale.range = color.range;
  return { field: color.field, type: "nominal", title: color.title, scale, sort: color.domain ?? null };
}

function dashEncoding(dash: DashOptions, color: ColorOptions | undefined): Spec {
  // A dash on the color's field merges into the color legend, which keeps the color's title.
  const title = dash.title ?? (color?.field === dash.field ? color.title : null);
  const scale: Spec = {};
  if (dash.domain) scale.domain = dash.domain;
  if (dash.range) scale.range = dash.range;
  return { field: dash.field, type: "nominal", title, scale, sort: dash.domain ?? null };
}

function validFor(axis: AxisOptions): string {
  return validField(axis.field, axis.scale);
}

// Rows with a missing or non-finite value (and non-positive values on log axes) are left out of a layer.
function validField(field: string, scale: "log" | "linear" | undefined): string {
  const value = `datum[${JSON.stringify(field)}]`;
  return `isValid(${value}) && isFinite(${value})${scale === "log" ? ` && ${value} > 0` : ""}`;
}

function sanitizeRow(row: Row): Row {
  const clean: Row = {};
  for (const [key, value] of Object.entries(row)) {
    clean[key] = typeof value === "number" && !Number.isFinite(value) ? null : value;
  }
  return clean;
}

function isPlainObject(value: unknown): value is Spec {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function mergeDeep(base: Spec, over: Spec): Spec {
  const merged: Spec = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeDeep(current, value) : value;
  }
  return merged;
}
