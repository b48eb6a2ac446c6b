/// <reference lib="dom" />
/**
 * Browser entry of the report's live panel (bundled by @sam-repro/figures' report-live.ts into index.html):
 * sliders for rho, alpha, the step size and the data seed; every change reruns ERM, n-SAM and 1-SAM with
 * runLiveExperiment (the library's own float64 code) and redraws test and train loss against the iterations
 * with the house style's lineChart through the page's vega-embed. `window.samReproLive` exposes the last result
 * (the browser test compares it with the same function run in Node).
 */
import { CURVES, curveScales, lineChart } from "@sam-repro/figures";
import { DEFAULT_LIVE_SETTINGS, runLiveExperiment, type LiveResult, type LiveSettings } from "./live-diag-net.js";

declare const vegaEmbed: (element: HTMLElement, spec: unknown, options: unknown) => Promise<{ finalize(): void }>;

declare global {
  interface Window {
    samReproLive?: { result: LiveResult; runs: number; milliseconds: number };
  }
}

/** One slider: how its position maps to a setting, and how the value is shown. */
interface Slider {
  key: "rho" | "alpha" | "gammaTimesD" | "seed";
  label: string;
  min: number;
  max: number;
  step: number;
  /** Slider position -> setting value. */
  value: (position: number) => number;
  /** Setting value -> slider position. */
  position: (value: number) => number;
  show: (value: number) => string;
}

// Log-scale sliders move in tenths of a decade and keep two significant digits (0.1, 0.13, 0.16, ..., 0.02).
const logSlider = (key: "rho" | "alpha", label: string, minExponent: number, maxExponent: number): Slider => ({
  key,
  label,
  min: minExponent,
  max: maxExponent,
  step: 0.1,
  value: (position) => Number((10 ** position).toPrecision(2)),
  position: (value) => Math.round(Math.log10(value) * 10) / 10,
  show: (value) => String(value),
});

const SLIDERS: Slider[] = [
  logSlider("rho", "ρ (n-SAM and 1-SAM)", -3, 0),
  logSlider("alpha", "α (initialization scale)", -3, 0),
  {
    key: "gammaTimesD",
    label: "step size γ",
    min: 0.5,
    max: 15,
    step: 0.5,
    value: (position) => position,
    position: (value) => value,
    show: (value) => `${value}/d`,
  },
  { key: "seed", label: "data seed", min: 0, max: 19, step: 1, value: (position) => position, position: (value) => value, show: String },
];

const CURVE_STYLE = [CURVES.ermBlue, CURVES.nSamRedDotted, CURVES.oneSamYellowDotted];

function mount(container: HTMLElement): void {
  const settings: LiveSettings = { ...DEFAULT_LIVE_SETTINGS };
  const controls = document.createElement("div");
  controls.className = "live-controls";
  const status = document.createElement("p");
  status.className = "live-status";
  status.setAttribute("aria-live", "polite");
  const chart = document.createElement("div");
  chart.className = "chart";
  chart.id = `${container.id}-chart`;
  container.append(controls, status, chart);

  const shownValues: Array<() => void> = [];
  for (const slider of SLIDERS) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "range";
    input.id = `live-${slider.key}`;
    input.min = String(slider.min);
    input.max = String(slider.max);
    input.step = String(slider.step);
    input.value = String(slider.position(settings[slider.key]));
    const shown = document.createElement("output");
    shown.htmlFor.add(input.id);
    shown.textContent = slider.show(settings[slider.key]);
    label.append(`${slider.label}: `, shown, input);
    controls.append(label);
    input.addEventListener("input", () => {
      settings[slider.key] = slider.value(Number(input.value));
      shown.textContent = slider.show(settings[slider.key]);
      schedule();
    });
    shownValues.push(() => {
      input.value = String(slider.position(settings[slider.key]));
      shown.textContent = slider.show(settings[slider.key]);
    });
  }
  const reset = document.createElement("button");
  reset.type = "button";
  reset.id = "live-reset";
  reset.textContent = "Back to Figure 6's settings";
  reset.addEventListener("click", () => {
    Object.assign(settings, DEFAULT_LIVE_SETTINGS);
    shownValues.forEach((update) => update());
    schedule();
  });
  controls.append(reset);

  // One rerun at a time, with the latest settings: moves during a run ask for one more run after it.
  let pending = false;
  let running = false;
  let again = false;
  let runs = 0;
  let view: { finalize(): void } | null = null;
  const schedule = () => {
    if (running) {
      again = true;
      return;
    }
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      running = true;
      rerun()
        .catch((error: unknown) => {
          console.error(`live panel: ${String(error)}`);
          status.textContent = `The live panel failed: ${String(error)}`;
        })
        .finally(() => {
          running = false;
          if (again) {
            again = false;
            schedule();
          }
        });
    });
  };
  const rerun = async () => {
    const started = performance.now();
    const result = runLiveExperiment({ ...settings });
    const milliseconds = performance.now() - started;
    status.textContent = summary(result, milliseconds);
    view?.finalize();
    // Side by side where there is room, one above the other on a narrow screen.
    const columns = container.clientWidth >= 720 ? 2 : 1;
    view = await vegaEmbed(chart, chartSpec(result, columns), {
      renderer: "svg",
      ast: true,
      downloadFileName: "live-diag-net",
      actions: { export: { svg: true, png: true }, source: true, compiled: false, editor: false },
    });
    runs += 1;
    window.samReproLive = { result, runs, milliseconds };
    container.setAttribute("data-runs", String(runs));
    container.setAttribute("data-settled", String(!again));
  };
  schedule();
}

/** "3 runs of 10,000 iterations in 35 ms. Final test loss: ERM 2.3e-3, n-SAM 2.4e-3, 1-SAM 1.9e-4." */
function summary(result: LiveResult, milliseconds: number): string {
  const finals = Object.entries(result.final).map(([label, run]) =>
    run.diverged ? `${label} diverged at iteration ${run.steps + 1}` : `${label} ${run.testLoss.toExponential(1)}`,
  );
  return `3 runs of ${result.settings.iterations.toLocaleString("en")} iterations in ${Math.round(milliseconds)} ms. Final test loss: ${finals.join(", ")}.`;
}

function chartSpec(result: LiveResult, columns: number): Record<string, unknown> {
  const rows = result.points.flatMap((point) => [
    { method: point.method, step: point.step, loss: point.testLoss, panel: "Test loss" },
    { method: point.method, step: point.step, loss: point.trainLoss, panel: "Train loss" },
  ]);
  const scales = curveScales(CURVE_STYLE);
  const { rho, alpha, gammaTimesD, seed } = result.settings;
  return lineChart({
    title: "ERM vs n-SAM vs 1-SAM on a diagonal linear network",
    subtitle: `ρ = ${rho}, α = ${alpha}, γ = ${gammaTimesD}/d, data seed ${seed}; n = ${result.settings.n}, d = ${result.settings.d}, r = ${result.settings.r}`,
    data: rows,
    x: { field: "step", title: "Number of iterations", scale: "log" },
    y: { field: "loss", title: "Loss", scale: "log" },
    color: { field: "method", title: "Method", ...scales.color },
    strokeDash: { field: "method", ...scales.strokeDash },
    facet: { field: "panel", columns },
    width: 300,
    height: 220,
  });
}

const container = document.getElementById("live-diag-net-panel");
if (container) mount(container);
