/**
 * What every chart's layers share: the tag that tells our rows from the paper's, the paper's values as hollow
 * diamonds, tooltips that name what a reader sees, and zoom. Used by the builders in style.ts and by the report
 * page for charts stored before these existed (report-spec.ts, report-references.ts). Pure.
 */
import type { Row, Spec } from "./style.js";

/** Field added to every row: which source it comes from. */
export const SOURCE_FIELD = "source";
export const OURS = "this reproduction";
export const PAPER = "paper (read off the figure)";

/**
 * The paper's values as hollow diamonds (rows whose source is PAPER), in the colors of our curves, with a
 * "Markers" legend entry; `filters` are vega expressions that keep plottable rows.
 */
export function referenceLayer(options: { x: Spec; y: Spec; color?: Spec; tooltip?: unknown; clip?: boolean; filters?: string[] }): Spec {
  const fromPaper = `datum[${JSON.stringify(SOURCE_FIELD)}] === ${JSON.stringify(PAPER)}`;
  return {
    transform: [{ filter: fromPaper }, ...(options.filters ?? []).map((filter) => ({ filter }))],
    mark: { type: "point", shape: "diamond", filled: false, size: 70, strokeWidth: 1.6, clip: options.clip ?? false },
    encoding: {
      ...(options.tooltip ? { tooltip: options.tooltip } : {}),
      x: options.x,
      y: options.y,
      ...(options.color ? { color: options.color } : {}),
      shape: { datum: PAPER, title: "Markers", scale: { domain: [PAPER], range: ["diamond"] } },
    },
  };
}

/** One field of a tooltip: the field, its title (the axis or legend title) and a d3 format for numbers. */
export interface TooltipField {
  field: string;
  type: "quantitative" | "nominal";
  title: string;
  format?: string;
}

/**
 * A tooltip that names what a reader sees: the axis and legend titles instead of field names, numbers to 3
 * significant digits (",d" for counts such as iterations or epochs), the panel and the band's range when there is one.
 */
export function tooltipEncoding(options: {
  rows: readonly Row[];
  x: { field: string; title: string };
  y: { field: string; title: string };
  color?: { field: string; title: string };
  facetField?: string;
  detailField?: string;
  band?: { lower: string; upper: string };
}): TooltipField[] {
  const { rows } = options;
  const described = (field: string, title: string): TooltipField => {
    const values = rows.map((row) => row[field]).filter((value) => value !== null && value !== undefined);
    if (values.length === 0 || !values.every((value) => typeof value === "number")) return { field, type: "nominal", title };
    const counts = (values as number[]).every((value) => Number.isInteger(value));
    return { field, type: "quantitative", title, format: counts ? ",d" : ".3~g" };
  };
  const fields: TooltipField[] = [];
  if (options.facetField) fields.push(described(options.facetField, "Panel"));
  if (options.color) fields.push(described(options.color.field, options.color.title || "Curve"));
  if (options.detailField) fields.push(described(options.detailField, options.detailField));
  fields.push(described(options.x.field, options.x.title), described(options.y.field, options.y.title));
  if (options.band) {
    fields.push(described(options.band.lower, `${options.y.title}: band low`), described(options.band.upper, `${options.y.title}: band high`));
  }
  if (rows.some((row) => SOURCE_FIELD in row)) fields.push({ field: SOURCE_FIELD, type: "nominal", title: "Source" });
  return fields.filter((entry, index) => fields.findIndex((other) => other.field === entry.field) === index);
}

/** Drag to pan, wheel to zoom, double-click to reset: an interval selection bound to the x and y scales. */
export function zoomParams(name: string): Spec[] {
  return [{ name, select: { type: "interval", encodings: ["x", "y"] }, bind: "scales" }];
}

