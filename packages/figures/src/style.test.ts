import { describe, expect, test } from "@jest/globals";
import { compileSpec, renderSvg, svgToPng } from "./render.js";
import { CURVES, HOUSE_CONFIG, OURS, PAPER, SOURCE_FIELD, curveScales, houseStyle, lineChart, panels, pointChart } from "./style.js";

type VegaScale = { name: string; type?: string; domain?: unknown };

function scalesOf(vegaSpec: unknown): VegaScale[] {
  // Scales live at the top level, or inside facet/concat groups.
  const found: VegaScale[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === "object") {
      const record = node as Record<string, unknown>;
      if (Array.isArray(record.scales)) found.push(...(record.scales as VegaScale[]));
      if (Array.isArray(record.marks)) visit(record.marks);
    }
  };
  visit(vegaSpec);
  return found;
}

const rows = [
  { method: "ERM", step: 1, loss: 1 },
  { method: "ERM", step: 10, loss: 0.1 },
  { method: "ERM", step: 100, loss: Number.NaN },
  { method: "SAM", step: 1, loss: 1 },
  { method: "SAM", step: 100, loss: 0.001 },
];

describe("lineChart", () => {
  test("log axes compile to vega log scales only where asked", () => {
    const logLog = compileSpec(
      lineChart({ title: "t", data: rows, x: { field: "step", title: "Steps", scale: "log" }, y: { field: "loss", title: "Loss", scale: "log" }, color: { field: "method", title: "Method" } }),
    );
    const scales = scalesOf(logLog);
    expect(scales.find((scale) => scale.name === "x")?.type).toBe("log");
    expect(scales.find((scale) => scale.name === "y")?.type).toBe("log");

    const linear = compileSpec(lineChart({ title: "t", data: rows, x: { field: "step", title: "Steps" }, y: { field: "loss", title: "Loss" } }));
    expect(scalesOf(linear).find((scale) => scale.name === "x")?.type).toBe("linear");
  });

  test("non-finite values become null, and each row is tagged as ours or the paper's", () => {
    const spec = lineChart({
      title: "t",
      data: rows,
      x: { field: "step", title: "Steps" },
      y: { field: "loss", title: "Loss" },
      referenceRows: [{ method: "ERM", step: 10, loss: 0.2 }],
    });
    const values = (spec.data as { values: Array<Record<string, unknown>> }).values;
    expect(values).toHaveLength(rows.length + 1);
    expect(values[2]!.loss).toBeNull();
    expect(values.filter((row) => row[SOURCE_FIELD] === OURS)).toHaveLength(rows.length);
    expect(values.filter((row) => row[SOURCE_FIELD] === PAPER)).toEqual([{ method: "ERM", step: 10, loss: 0.2, [SOURCE_FIELD]: PAPER }]);
    expect(JSON.stringify(spec)).not.toContain("NaN");
  });

  test("facets, rule, band and reference layers compile", () => {
    const spec = lineChart({
      title: "t",
      data: rows.map((row) => ({ ...row, panel: row.method === "ERM" ? "A" : "B", low: 0.5, high: 2 })),
      x: { field: "step", title: "Steps", scale: "log" },
      y: { field: "loss", title: "Loss", scale: "log", domain: [1e-4, 10] },
      color: { field: "method", title: "Method", ...curveScales([CURVES.ermRed, CURVES.sam]).color },
      strokeDash: { field: "method", ...curveScales([CURVES.ermRed, CURVES.sam]).strokeDash },
      facet: { field: "panel", columns: 2, independentY: true },
      referenceRows: [{ method: "SAM", step: 10, loss: 0.01, panel: "B" }],
      band: { lower: "low", upper: "high" },
      ruleX: 10,
    });
    const layers = (spec.spec as { layer: Array<{ mark: { type: string } | string }> }).layer;
    expect(layers.map((layer) => (typeof layer.mark === "string" ? layer.mark : layer.mark.type))).toEqual(["area", "line", "point", "point", "rule"]);
    expect(() => compileSpec(spec)).not.toThrow();
  });

  test("lines and paper markers carry a tooltip with the axis titles and 3-significant-digit formats; log charts zoom", () => {
    const spec = lineChart({
      title: "t",
      data: rows,
      x: { field: "step", title: "Steps", scale: "log" },
      y: { field: "loss", title: "Loss", scale: "log" },
      color: { field: "method", title: "Method" },
      referenceRows: [{ method: "ERM", step: 10, loss: 0.2 }],
    });
    const layers = spec.layer as Array<{ mark: { type: string; point?: unknown }; params?: unknown[]; encoding: Record<string, unknown> }>;
    const [line, reference] = layers;
    expect(line!.encoding.tooltip).toEqual([
      { field: "method", type: "nominal", title: "Method" },
      { field: "step", type: "quantitative", title: "Steps", format: ",d" },
      { field: "loss", type: "quantitative", title: "Loss", format: ".3~g" },
      { field: SOURCE_FIELD, type: "nominal", title: "Source" },
    ]);
    expect(reference!.encoding.tooltip).toEqual(line!.encoding.tooltip);
    expect(line!.mark.point).toEqual({ opacity: 0, size: 60 });
    expect(line!.params).toEqual([{ name: "zoom", select: { type: "interval", encodings: ["x", "y"] }, bind: "scales" }]);
    expect(() => compileSpec(spec)).not.toThrow();
    const linear = lineChart({ title: "t", data: rows, x: { field: "step", title: "Steps" }, y: { field: "loss", title: "Loss" } });
    expect((linear.layer as Array<{ params?: unknown }>)[0]!.params).toBeUndefined();
  });

  test("with a fixed domain the hover points keep to it, and a curve running far off the axis still renders", async () => {
    // A curve falling to 1e-45 under an axis that stops at 1e-6: clipped invisible points there made resvg abort.
    const falling = [1, 10, 100, 1000].map((step) => ({ method: "USAM", step, loss: 10 ** (-15 * Math.log10(step)) }));
    const spec = lineChart({
      title: "t",
      data: falling,
      x: { field: "step", title: "Steps", scale: "log" },
      y: { field: "loss", title: "Loss", scale: "log", domain: [1e-6, 10] },
      color: { field: "method", title: "Method" },
    });
    const layers = spec.layer as Array<{ mark: { type: string; point?: unknown; opacity?: number }; transform?: unknown[] }>;
    expect(layers[0]!.mark.point).toBe(false);
    const hover = layers.find((layer) => layer.mark.type === "point" && layer.mark.opacity === 0);
    expect(hover!.transform).toContainEqual({ filter: { field: "loss", range: [1e-6, 10] } });
    const png = svgToPng(await renderSvg(spec, "falling"));
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
  });

  test("curveScales keeps the curves' order, colors and dashes", () => {
    const curves = [CURVES.ermBlue, CURVES.nSamRedDotted, CURVES.oneSamYellowDotted];
    const scales = curveScales(curves);
    expect(scales.color.domain).toEqual(["ERM", "n-SAM", "1-SAM"]);
    expect(scales.color.range).toEqual(curves.map((curve) => curve.color));
    expect(scales.strokeDash.range[1]).toEqual([...CURVES.nSamRedDotted.dash]);
  });
});

describe("houseStyle", () => {
  test("sets the house font, keeps the spec's own config on top, and is idempotent", () => {
    const styled = houseStyle({ mark: "point", config: { axis: { labelFontSize: 20 } } });
    const config = styled.config as Record<string, Record<string, unknown>>;
    expect(config.font).toBe("DejaVu Sans");
    expect(config.axis!.labelFontSize).toBe(20);
    expect(config.axis!.titleFontSize).toBe((HOUSE_CONFIG.axis as Record<string, unknown>).titleFontSize);
    expect(houseStyle(styled)).toEqual(styled);
  });

  test("panels merge charts into one concat spec that compiles", () => {
    const chart = pointChart({ title: "p", data: rows, x: { field: "step", title: "Steps" }, y: { field: "loss", title: "Loss" }, color: { field: "method", title: "Method" } });
    const combined = panels({ title: "two", charts: [chart, chart] });
    expect((combined.concat as unknown[]).length).toBe(2);
    expect(() => compileSpec(combined)).not.toThrow();
  });
});
