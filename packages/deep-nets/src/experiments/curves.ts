/**
 * Curves over epochs from the metric records of training runs (SPEC 3.8, 3.9, 5.B4, 5.B5): one series
 * per run and metric, the mean and min..max band over seeds, the best / final point of a series and the epoch at
 * which a series first reaches a level (e.g. the noisy-label memorization epoch of Fig. 12). Pure: records in,
 * numbers out.
 */
import { summarize } from "@sam-repro/runner";
import type { MetricRecord } from "../training/run-store.js";

/** One evaluation of one metric. */
export interface CurvePoint {
  epoch: number;
  value: number;
}

/** The metrics of a record that are numbers (or null where not measured). */
export type NumericMetric = {
  [Key in keyof MetricRecord]: MetricRecord[Key] extends number | null ? Key : never;
}[keyof MetricRecord];

/**
 * The series of one metric over the evaluations of a run: records whose value is a finite number, in epoch order.
 * A diverged run's last record (NaN) and metrics not measured at an evaluation (null) leave no point.
 */
export function metricSeries(records: readonly MetricRecord[], metric: NumericMetric): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (const record of records) {
    const value = record[metric];
    if (typeof value === "number" && Number.isFinite(value)) points.push({ epoch: record.epoch, value });
  }
  return points.sort((a, b) => a.epoch - b.epoch);
}

/** The mean of the seeds at one epoch, with the min..max band and how many seeds had a point there. */
export interface BandPoint {
  epoch: number;
  mean: number;
  min: number;
  max: number;
  seeds: number;
}

/**
 * Mean and min..max over seeds at every epoch that any seed evaluated (seeds evaluate at the same epochs unless
 * one diverged; then the band at later epochs holds the remaining seeds, and `seeds` says how many).
 */
export function seedBand(seriesPerSeed: readonly CurvePoint[][]): BandPoint[] {
  const byEpoch = new Map<number, number[]>();
  for (const series of seriesPerSeed) {
    for (const point of series) byEpoch.set(point.epoch, [...(byEpoch.get(point.epoch) ?? []), point.value]);
  }
  return [...byEpoch.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([epoch, values]) => {
      const { mean, min, max, n } = summarize(values);
      return { epoch, mean, min, max, seeds: n };
    });
}

/** The lowest point of a series (the earliest one on ties): early stopping selected on this metric. Null if empty. */
export function bestPoint(series: readonly CurvePoint[]): CurvePoint | null {
  let best: CurvePoint | null = null;
  for (const point of series) if (best === null || point.value < best.value) best = point;
  return best;
}

/** The last point of a series (the end of training), or null if empty. */
export function finalPoint(series: readonly CurvePoint[]): CurvePoint | null {
  return series.length ? series[series.length - 1]! : null;
}

/** The first epoch at which the series is at or below `level` (e.g. half of the noisy labels fitted), or null. */
export function firstEpochAtOrBelow(series: readonly CurvePoint[], level: number): number | null {
  return series.find((point) => point.value <= level)?.epoch ?? null;
}
