/**
 * The paper's values as reference marks on the page's charts, taken from the `reference` block of the
 * figure's config (values read off the paper's figures) for the figures whose reference is numeric:
 * Fig. 1 (test error per radius), Fig. 6 (final losses at 10^6 iterations), Fig. 9 (test error at the end) and
 * Fig. 12 (CIFAR-10's errors at the end of training, where the config states them).
 * A spec that already carries paper rows (a builder's `referenceRows`) is left as it is. When the paper's
 * values lie far outside our range (a scaled-down profile: 66% error here vs 5% in the paper), they get
 * their own axis on the right instead of flattening our curves. Pure.
 */
import { PAPER, SOURCE_FIELD, referenceLayer, tooltipEncoding } from "./style.js";

type Spec = Record<string, unknown>;
type Row = Record<string, unknown>;

/** Where a figure's paper values go: per unit of the spec (matched by its title or the whole spec), rows in its fields. */
type ReferenceMapper = (
  reference: Record<string, unknown>,
  unit: { title: string; rows: Row[]; x: string; y: string; color: string | null; facet: string | null },
) => Row[];

/** The number in the first match of `pattern` (a "~49%"-style reading), or null. */
function reading(text: unknown, pattern: RegExp): number | null {
  const match = typeof text === "string" ? pattern.exec(text) : null;
  return match ? Number(match[1]) : null;
}

const MAPPERS: Record<string, ReferenceMapper> = {
  "fig6-diag-net": (reference, unit) => {
    const test = numericRecord(reference.finalTestLoss);
    const train = numericRecord(reference.trainLossAt1e6);
    // The paper's x axis ends at 10^6 iterations; its final values sit there.
    return [
      ...Object.entries(test).map(([method, value]) => ({ [unit.facet ?? "panel"]: "Test loss", [unit.color ?? "method"]: method, [unit.x]: 1e6, [unit.y]: value })),
      ...Object.entries(train).map(([method, value]) => ({ [unit.facet ?? "panel"]: "Train loss", [unit.color ?? "method"]: method, [unit.x]: 1e6, [unit.y]: value })),
    ];
  },
  "fig1-perturbations": (reference, unit) => {
    const dataset = /CIFAR-100/i.test(unit.title) ? reference.cifar100_resnet34 : /CIFAR-10/i.test(unit.title) ? reference.cifar10_resnet18 : undefined;
    if (!isRecord(dataset) || !unit.color) return [];
    const ours = new Set(unit.rows.map((row) => String(row[unit.color!])));
    const mSam = [...ours].find((label) => /^\d+-SAM$/.test(label));
    const label = (paperLabel: string) => (/^\d+-SAM$/.test(paperLabel) ? mSam : paperLabel.startsWith("Random") ? "Random" : paperLabel);
    const rows: Row[] = [];
    for (const [paperLabel, values] of Object.entries(dataset)) {
      const method = label(paperLabel);
      if (!method || !ours.has(method) || !isRecord(values)) continue;
      for (const [radius, value] of Object.entries(values)) {
        if (typeof value === "number" && Number.isFinite(Number(radius))) rows.push({ [unit.color]: method, [unit.x]: Number(radius), [unit.y]: value });
      }
    }
    const erm = [...ours].find((name) => /ERM/.test(name));
    const ermValue = dataset.ERM;
    if (erm && typeof ermValue === "number") {
      const radii = unit.rows.filter((row) => row[unit.color!] === erm).map((row) => Number(row[unit.x]));
      for (const radius of [Math.min(...radii), Math.max(...radii)]) rows.push({ [unit.color]: erm, [unit.x]: radius, [unit.y]: ermValue });
    }
    return rows.map((row) => ({ ...row, panel: unit.title }));
  },
  "fig12-label-noise": (reference, unit) => {
    // CIFAR-10's values at the end of the paper's 1000 epochs, where the config states them ("ends at ~49%",
    // "~9% at 1000"), drawn at our last epoch on the CIFAR-10 panel.
    const cifar10 = isRecord(reference.cifar10) ? reference.cifar10 : {};
    const panel = unit.facet ? unit.rows.map((row) => String(row[unit.facet!])).find((name) => /CIFAR-10(?!0)/.test(name)) : undefined;
    if (!unit.color || (unit.facet && !panel)) return [];
    const lastEpoch = Math.max(...unit.rows.map((row) => Number(row[unit.x])).filter(Number.isFinite));
    const ends = /ends at ~?(\d+(?:\.\d+)?)%/;
    const atEnd: Record<string, number | null> = {
      "Test error, ERM": reading(cifar10["ERM test error"], ends),
      "Test error, SAM": reading(cifar10["SAM test error"], ends),
      "Train error on noisy samples, SAM": reading(cifar10["SAM train error on noisy samples"], /~?(\d+(?:\.\d+)?)% at 1000\b/),
    };
    const ours = new Set(unit.rows.map((row) => String(row[unit.color!])));
    return Object.entries(atEnd)
      .filter((entry): entry is [string, number] => entry[1] !== null && ours.has(entry[0]))
      .map(([curve, value]) => ({ [unit.color!]: curve, [unit.x]: lastEpoch, [unit.y]: value, ...(unit.facet ? { [unit.facet]: panel } : {}) }));
  },
  "fig9-finetuning": (reference, unit) => {
    const cifar10 = isRecord(reference.cifar10) ? reference.cifar10 : {};
    if (!unit.color) return [];
    // The paper's values after its last epoch (1100), drawn at our last epoch.
    const lastEpoch = Math.max(...unit.rows.map((row) => Number(row[unit.x])).filter(Number.isFinite));
    const atEnd: Record<string, unknown> = { ERM: cifar10["ERM at 1100"], "ERM → SAM": cifar10["ERM->SAM at 1100"], "SAM → ERM": cifar10["SAM->ERM at 1100"] };
    return Object.entries(atEnd)
      .filter((entry): entry is [string, number] => typeof entry[1] === "number")
      .map(([method, value]) => ({ [unit.color!]: method, [unit.x]: lastEpoch, [unit.y]: value }));
  },
};

/** Figures for which the page draws the paper's values from the config. */
export const FIGURES_WITH_REFERENCE_MARKS = Object.keys(MAPPERS);

/** `spec` with the paper's values of figure `id` drawn on each of its charts (unchanged when there are none). */
export function addReferenceMarks(id: string, spec: Spec, reference: Record<string, unknown> | undefined): Spec {
  const mapper = MAPPERS[id];
  if (!mapper || !reference || JSON.stringify(spec).includes(JSON.stringify(PAPER))) return spec;
  const copy = structuredClone(spec);
  const units: Array<{ holder: Spec; layered: Spec; title: string }> = [];
  if (Array.isArray(copy.concat)) {
    for (const unit of copy.concat.filter(isRecord)) units.push({ holder: unit, layered: isRecord(unit.spec) ? unit.spec : unit, title: titleText(unit.title) });
  } else {
    units.push({ holder: copy, layered: isRecord(copy.spec) ? copy.spec : copy, title: titleText(copy.title) });
  }
  for (const { holder, layered, title } of units) {
    const data = isRecord(holder.data) && Array.isArray(holder.data.values) ? (holder.data.values as Row[]) : null;
    const layers = Array.isArray(layered.layer) ? (layered.layer as Spec[]) : null;
    const line = layers?.find((layer) => ["line", "point"].includes(markTypeOf(layer)));
    const encoding = line && isRecord(line.encoding) ? line.encoding : null;
    if (!data || !layers || !encoding || !isRecord(encoding.x) || !isRecord(encoding.y)) continue;
    const facet = isRecord(holder.facet) && typeof holder.facet.field === "string" ? holder.facet.field : null;
    const fields = { x: String(encoding.x.field), y: String(encoding.y.field), color: isRecord(encoding.color) ? String(encoding.color.field) : null, facet };
    const ours = data.filter((row) => row[SOURCE_FIELD] !== PAPER);
    const rows: Row[] = mapper(reference, { title, rows: ours, ...fields }).map((row) => ({ ...row, [SOURCE_FIELD]: PAPER }));
    if (rows.length === 0) continue;
    data.push(...rows);
    const tooltip = tooltipEncoding({
      rows: [...ours, ...rows],
      x: { field: fields.x, title: String(encoding.x.title ?? fields.x) },
      y: { field: fields.y, title: String(encoding.y.title ?? fields.y) },
      ...(fields.color && isRecord(encoding.color) ? { color: { field: fields.color, title: String(encoding.color.title ?? fields.color) } } : {}),
    });
    const y = encoding.y as Spec;
    const logScale = isRecord(y.scale) && y.scale.type === "log";
    if (farOutside(ours.map((row) => Number(row[fields.y])), rows.map((row) => Number(row[fields.y])), logScale)) {
      // Our layers keep one shared y scale inside a nested layer; the paper's values get their own, on the right.
      const paperY = { ...y, title: `Paper: ${String(y.title ?? fields.y)}`, axis: { ...(isRecord(y.axis) ? y.axis : {}), orient: "right" } };
      layered.layer = [{ layer: layers }, referenceLayer({ x: encoding.x as Spec, y: paperY, ...(isRecord(encoding.color) ? { color: encoding.color } : {}), tooltip })];
      layered.resolve = { ...(isRecord(layered.resolve) ? layered.resolve : {}), scale: { ...(isRecord(layered.resolve) && isRecord(layered.resolve.scale) ? layered.resolve.scale : {}), y: "independent" } };
    } else {
      layers.push(referenceLayer({ x: encoding.x as Spec, y, ...(isRecord(encoding.color) ? { color: encoding.color } : {}), tooltip }));
    }
  }
  return copy;
}

// On a linear axis the paper's values are "far" from ours when they lie outside our range widened by its span on
// each side; a log axis shows decades apart on one scale.
function farOutside(ours: number[], paper: number[], logScale: boolean): boolean {
  const finite = ours.filter(Number.isFinite);
  if (logScale || finite.length === 0) return false;
  const low = Math.min(...finite);
  const high = Math.max(...finite);
  const span = Math.max(high - low, Math.abs(high) * 0.1);
  return paper.some((value) => value < low - span || value > high + span);
}

function numericRecord(value: unknown): Record<string, number> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, number] => typeof entry[1] === "number"));
}

function titleText(title: unknown): string {
  if (typeof title === "string") return title;
  return isRecord(title) && typeof title.text === "string" ? title.text : "";
}

function markTypeOf(layer: Spec): string {
  if (typeof layer.mark === "string") return layer.mark;
  return isRecord(layer.mark) && typeof layer.mark.type === "string" ? layer.mark.type : "";
}

function isRecord(value: unknown): value is Spec {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
