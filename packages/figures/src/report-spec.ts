/**
 * What the report page adds to a figure's stored vega-lite spec, so that charts written before these features
 * (the committed deep-net figures cannot be regenerated cheaply) get them too: formatted tooltips on every line
 * and point layer, zoom and pan on charts with a log axis, text without internal references, and the paper's
 * values as reference marks (see report-references.ts). Pure: a spec in, a new spec out; idempotent.
 */
import { tooltipEncoding, zoomParams } from "./style.js";
import { divergedInText, withoutInternalReferences } from "./report-text.js";

type Spec = Record<string, unknown>;

/** The page's version of a stored spec: tooltips, zoom on log axes, readable titles. */
export function enrichSpec(spec: Spec): Spec {
  const copy = structuredClone(spec);
  let zoomCount = 0;
  const visit = (node: Spec, inheritedRows: Spec[], facetField: string | null): void => {
    const rows = rowsOf(node) ?? inheritedRows;
    if (isRecord(node.title) || typeof node.title === "string" || Array.isArray(node.title)) node.title = readableTitle(node.title);
    const facet = isRecord(node.facet) && typeof node.facet.field === "string" ? node.facet.field : facetField;
    if (isRecord(node.spec)) visit(node.spec, rows, facet);
    for (const key of ["concat", "hconcat", "vconcat"] as const) {
      const children = node[key];
      if (Array.isArray(children)) children.filter(isRecord).forEach((child) => visit(child, rows, facet));
    }
    if (Array.isArray(node.layer)) {
      const layers = node.layer.filter(isRecord);
      const band = layers.find((layer) => markType(layer) === "area");
      for (const layer of layers) addTooltip(layer, rows, facet, band);
      if (!layers.some((layer) => Array.isArray(layer.params)) && layers.some(hasLogAxis)) {
        const target = layers.find((layer) => ["line", "point"].includes(markType(layer) ?? ""));
        if (target) target.params = zoomParams(`zoom_${zoomCount++}`);
      }
    } else if (node.mark !== undefined) {
      addTooltip(node, rows, facet, undefined);
      if (!Array.isArray(node.params) && hasLogAxis(node)) node.params = zoomParams(`zoom_${zoomCount++}`);
    }
  };
  visit(copy, [], null);
  return copy;
}

// Tooltips on line and point layers only: bands and rules would cover the marks a reader points at.
function addTooltip(layer: Spec, rows: Spec[], facetField: string | null, band: Spec | undefined): void {
  const type = markType(layer);
  if (type !== "line" && type !== "point") return;
  const encoding = isRecord(layer.encoding) ? layer.encoding : null;
  if (!encoding || !isRecord(encoding.x) || !isRecord(encoding.y)) return;
  const bandEncoding = band && isRecord(band.encoding) ? band.encoding : null;
  const bandFields =
    bandEncoding && isRecord(bandEncoding.y) && isRecord(bandEncoding.y2)
      ? { lower: String(bandEncoding.y.field), upper: String(bandEncoding.y2.field) }
      : undefined;
  encoding.tooltip = tooltipEncoding({
    rows,
    x: channelField(encoding.x),
    y: channelField(encoding.y),
    color: isRecord(encoding.color) && typeof encoding.color.field === "string" ? channelField(encoding.color) : undefined,
    facetField: facetField ?? undefined,
    detailField: isRecord(encoding.detail) && typeof encoding.detail.field === "string" ? encoding.detail.field : undefined,
    band: bandFields,
  });
  // Lines get invisible points so that pointing anywhere near a recorded value shows its tooltip.
  if (type === "line" && isRecord(layer.mark) && !layer.mark.point) layer.mark.point = { opacity: 0, size: 60 };
}

function channelField(channel: Spec): { field: string; title: string } {
  const field = String(channel.field);
  return { field, title: typeof channel.title === "string" ? channel.title : field };
}

function hasLogAxis(layer: Spec): boolean {
  const encoding = isRecord(layer.encoding) ? layer.encoding : {};
  return ["x", "y"].some((channel) => {
    const value = encoding[channel];
    return isRecord(value) && isRecord(value.scale) && value.scale.type === "log";
  });
}

function markType(layer: Spec): string | undefined {
  if (typeof layer.mark === "string") return layer.mark;
  return isRecord(layer.mark) && typeof layer.mark.type === "string" ? layer.mark.type : undefined;
}

function rowsOf(node: Spec): Spec[] | null {
  return isRecord(node.data) && Array.isArray(node.data.values) ? (node.data.values.filter(isRecord) as Spec[]) : null;
}

// The page's heading carries the paper's figure number; a chart title repeating it ("Fig. 10: ...") would guess.
function readableTitle(title: unknown): unknown {
  if (typeof title === "string") return withoutFigureNumber(readableText(title));
  if (Array.isArray(title)) return title.map((line) => (typeof line === "string" ? readableText(line) : line));
  if (!isRecord(title)) return title;
  const readable: Spec = { ...title };
  if (title.text !== undefined) readable.text = readableTitle(title.text);
  if (title.subtitle !== undefined) readable.subtitle = readableSubtitle(title.subtitle);
  return readable;
}

function readableSubtitle(subtitle: unknown): unknown {
  if (typeof subtitle === "string") return readableText(subtitle);
  return Array.isArray(subtitle) ? subtitle.map(readableSubtitle) : subtitle;
}

function readableText(text: string): string {
  return divergedInText(withoutInternalReferences(text));
}

function withoutFigureNumber(text: string): string {
  const numbered = /^\s*Fig(?:ure)?\.?\s*\d+\s*:\s*/i;
  return numbered.test(text) ? capitalize(text.replace(numbered, "")) : text;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function isRecord(value: unknown): value is Spec {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
