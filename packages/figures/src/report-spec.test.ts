import { describe, expect, test } from "@jest/globals";
import { compileSpec } from "./render.js";
import { addReferenceMarks } from "./report-references.js";
import { enrichSpec } from "./report-spec.js";
import { PAPER, SOURCE_FIELD, lineChart } from "./style.js";

type Layer = { mark: { type: string; point?: unknown }; params?: unknown[]; encoding: Record<string, unknown> };

const rows = [1, 10, 100, 1000].flatMap((step) => [
  { method: "ERM", step, loss: 1 / step, panel: "Test loss" },
  { method: "1-SAM", step, loss: 0.5 / step, panel: "Test loss" },
]);
const current = lineChart({
  title: "Fig. 10: loss (SPEC 3.7)",
  data: rows,
  x: { field: "step", title: "Number of iterations", scale: "log" },
  y: { field: "loss", title: "Loss", scale: "log" },
  color: { field: "method", title: "Method" },
});

/** The same chart as stored before the builders added tooltips and zoom. */
function storedWithoutTooltips(): Record<string, unknown> {
  const old = structuredClone(current);
  for (const layer of old.layer as Layer[]) {
    delete layer.encoding.tooltip;
    delete layer.params;
    if (layer.mark.type === "line") layer.mark.point = false;
  }
  return old;
}

describe("enrichSpec", () => {
  test("gives an old stored chart the builder's tooltip and zoom, and drops a guessed figure number and spec references", () => {
    const enriched = enrichSpec(storedWithoutTooltips());
    const [line] = enriched.layer as Layer[];
    const [builderLine] = current.layer as Layer[];
    expect(line!.encoding.tooltip).toEqual(builderLine!.encoding.tooltip);
    expect(line!.params).toEqual([{ name: "zoom_0", select: { type: "interval", encodings: ["x", "y"] }, bind: "scales" }]);
    expect(line!.mark.point).toEqual({ opacity: 0, size: 60 });
    expect(enriched.title).toBe("Loss");
    expect(() => compileSpec(enriched)).not.toThrow();
  });

  test("is idempotent and leaves the data alone", () => {
    const once = enrichSpec(storedWithoutTooltips());
    expect(enrichSpec(once)).toEqual(once);
    expect((once.data as { values: unknown[] }).values).toEqual((current.data as { values: unknown[] }).values);
  });
});

describe("addReferenceMarks", () => {
  const errorRows = [8, 20, 40].flatMap((epoch) => [
    { method: "ERM", epoch, testError: 66 - epoch / 20 },
    { method: "ERM → SAM", epoch, testError: 65.5 - epoch / 20 },
  ]);
  const chart = (values: typeof errorRows) =>
    lineChart({ title: "t", data: values, x: { field: "epoch", title: "Epoch" }, y: { field: "testError", title: "Test error (%)" }, color: { field: "method", title: "Method" } });
  const reference = { cifar10: { "ERM at 1100": 4.63, "ERM->SAM at 1100": 4.2 } };

  test("draws the paper's values at our last epoch, on their own axis when they are far from ours", () => {
    const spec = addReferenceMarks("fig9-finetuning", chart(errorRows), reference);
    const paperRows = (spec.data as { values: Array<Record<string, unknown>> }).values.filter((row) => row[SOURCE_FIELD] === PAPER);
    expect(paperRows).toEqual([
      { method: "ERM", epoch: 40, testError: 4.63, [SOURCE_FIELD]: PAPER },
      { method: "ERM → SAM", epoch: 40, testError: 4.2, [SOURCE_FIELD]: PAPER },
    ]);
    expect(spec.resolve).toEqual({ scale: { y: "independent" } });
    expect(() => compileSpec(spec)).not.toThrow();
  });

  test("shares the axis when the paper's values are within our range, and does nothing twice or for other figures", () => {
    const near = errorRows.map((row) => ({ ...row, testError: row.testError - 61.5 }));
    const spec = addReferenceMarks("fig9-finetuning", chart(near), reference);
    expect(spec.resolve).toBeUndefined();
    expect((spec.layer as Layer[]).at(-1)!.mark.type).toBe("point");
    expect(addReferenceMarks("fig9-finetuning", spec, reference)).toEqual(spec);
    expect(addReferenceMarks("some-other-figure", chart(near), reference)).toEqual(chart(near));
  });
});
