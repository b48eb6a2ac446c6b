/**
 * Writes reports/peer-parity/ (README.md: the report section; parity.json: the numbers and the commands) from the
 * PyTorch reference's results in reports/peer-parity/torch/, our step losses exported next to them, and our own
 * 30-epoch runs under runs/deep-nets/cpu (matched by config), judged by the rules of tools/peer/parity.json.
 *   node --conditions=@sam-repro/source --import tsx tools/peer/report.ts
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { pairedDifferences, pairedStatistics, reportsDir, workspaceRoot, writeFileAtomic, writeJsonAtomic } from "@sam-repro/runner";
import { runsDirectory } from "../../packages/deep-nets/src/training/run-store.js";
import { compareStepLosses, welchTest, type StepLossRule } from "./compare.js";
import { parityConfig, type ParityMethod } from "./regime.js";
import { markdownSection, type FinalErrorRow, type ParityReport, type StepLossRow } from "./report-text.js";
import { matchesParityConfig } from "./match-run.js";

const root = workspaceRoot();
const outDirectory = path.join(reportsDir(), "peer-parity");
const torchDirectory = path.join(outDirectory, "torch");
const rules = JSON.parse(readFileSync(path.join(root, "tools/peer/parity.json"), "utf8"));

function readJson<T>(file: string): T | null {
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as T) : null;
}

interface LossFile {
  losses: number[];
  seconds: number;
}
interface FinalFile {
  testError: number;
  trainEvalError: number;
  trainError: number;
  seconds: number;
  torch: string;
}

const stepRule: StepLossRule = { firstStep: rules.stepLosses.firstStep, envelopeFactor: rules.stepLosses.envelopeFactor, envelopeFloor: rules.stepLosses.envelopeFloor };
const stepRows: StepLossRow[] = (rules.stepLosses.methods as ParityMethod[]).map((method) => {
  const seed = rules.stepLosses.seed as number;
  const ours = readJson<LossFile>(path.join(torchDirectory, `ours-steps-${method}-s${seed}.json`));
  const torch32 = readJson<LossFile>(path.join(torchDirectory, `steps-${method}-s${seed}.json`));
  const torch64 = readJson<LossFile>(path.join(torchDirectory, `steps-${method}-s${seed}-f64.json`));
  if (!ours || !torch32 || !torch64) return { method, seed, comparison: null, ours: null, torch32: null, torch64: null };
  return { method, seed, comparison: compareStepLosses(ours.losses, torch32.losses, torch64.losses, stepRule), ours: ours.losses, torch32: torch32.losses, torch64: torch64.losses };
});

/** The reference with one deliberate difference (train.py --variation), judged by the same rule as ours: does the rule see it? */
const variations = existsSync(torchDirectory)
  ? readdirSync(torchDirectory)
      .flatMap((name) => {
        const match = /^variation-(.+)-(erm|sam|msam8)-s(\d+)\.json$/.exec(name);
        return match ? [{ variation: match[1]!, method: match[2]!, seed: Number(match[3]) }] : [];
      })
      .sort((a, b) => a.method.localeCompare(b.method) || a.variation.localeCompare(b.variation))
      .flatMap(({ variation, method, seed }) => {
        const varied = readJson<LossFile>(path.join(torchDirectory, `variation-${variation}-${method}-s${seed}.json`))!;
        const row = stepRows.find((r) => r.method === method && r.seed === seed);
        if (!row?.torch32 || !row.torch64) return [];
        const comparison = compareStepLosses(varied.losses, row.torch32, row.torch64, stepRule);
        return [{ variation, method, seed, firstFailingStep: comparison.firstFailingStep, maxRelativeDifference: comparison.maxRelativeDifference, secondStep: comparison.relativeDifference[1] ?? null }];
      })
  : [];

/** Tensor by tensor after step 1 (state-after-steps.ts vs train.py --compare-state), beside PyTorch's own float32-vs-float64. */
const stateAfterFirstStep = (rules.stepLosses.methods as ParityMethod[]).flatMap((method) => {
  type StateFile = { stateDifference: Record<string, number> };
  const ours = readJson<StateFile>(path.join(torchDirectory, `state-after-1-${method}-s0.json`));
  const rounding = readJson<StateFile>(path.join(torchDirectory, `state-after-1-${method}-s0-f32-vs-f64.json`));
  if (!ours || !rounding) return [];
  const summary = (differences: Record<string, number>, statistics: boolean) => {
    const values = Object.entries(differences).filter(([name]) => /running_(mean|var)$/.test(name) === statistics).map(([, v]) => v).sort((a, b) => a - b);
    return { max: values[values.length - 1]!, median: values[Math.floor(values.length / 2)]! };
  };
  return [{ method, weights: { ours: summary(ours.stateDifference, false), rounding: summary(rounding.stateDifference, false) }, statistics: { ours: summary(ours.stateDifference, true), rounding: summary(rounding.stateDifference, true) } }];
});

/** Our completed runs of this method and seed under runs/deep-nets/cpu whose config is the parity config. */
function ourRun(method: ParityMethod, seed: number): { directory: string; testError: number; trainEvalError: number | null; wallSeconds: number } | null {
  const base = path.join(runsDirectory(), "deep-nets", "cpu");
  if (!existsSync(base)) return null;
  const expected = parityConfig(method, seed);
  for (const name of readdirSync(base).sort()) {
    const result = readJson<{ config: Record<string, unknown>; status: string; final: { testError: number; trainEvalError: number | null } | null; wallSeconds: number }>(path.join(base, name, "result.json"));
    if (!result || result.status !== "completed" || !result.final || !matchesParityConfig(result.config, expected)) continue;
    return { directory: path.relative(root, path.join(base, name)), testError: result.final.testError, trainEvalError: result.final.trainEvalError, wallSeconds: result.wallSeconds };
  }
  return null;
}

const seeds = rules.finalErrors.seeds as number[];
const finalRows: FinalErrorRow[] = (rules.finalErrors.methods as ParityMethod[]).map((method) => {
  const perSeed = seeds.map((seed) => {
    const torch = readJson<FinalFile>(path.join(torchDirectory, `final-${method}-s${seed}.json`));
    return { seed, ours: ourRun(method, seed), torch: torch ? { testError: torch.testError, trainEvalError: torch.trainEvalError, trainError: torch.trainError, seconds: torch.seconds } : null };
  });
  const ours = perSeed.flatMap((row) => (row.ours ? [row.ours.testError] : []));
  const torch = perSeed.flatMap((row) => (row.torch ? [row.torch.testError] : []));
  const complete = ours.length === seeds.length && torch.length === seeds.length;
  const test = complete ? welchTest(ours, torch, rules.finalErrors.alpha) : null;
  const margin = rules.finalErrors.equivalenceMargin as number;
  // Descriptive, not the verdict: a seed fixes the subset, the initial weights and the batch order on both sides.
  const pairs = pairedStatistics(pairedDifferences(perSeed.map((row) => row.ours?.testError), perSeed.map((row) => row.torch?.testError)), rules.finalErrors.alpha / 2);
  const paired = pairs.n >= 2 ? { n: pairs.n, mean: pairs.mean, interval: [pairs.lower, pairs.upper] as [number, number] } : null;
  return {
    method,
    perSeed,
    test,
    paired,
    verdict: test === null ? "pending" : test.rejects ? "differs" : "agrees",
    equivalent: test === null ? null : test.interval[0] > -margin && test.interval[1] < margin,
  };
});

const report: ParityReport = {
  rules,
  stepLosses: stepRows,
  variations,
  stateAfterFirstStep,
  finalErrors: finalRows,
  commands: {
    everything: "npx nx run peer:parity (tools/peer/run-peer.sh)",
    export: "node --conditions=@sam-repro/source --import tsx tools/peer/export.ts --seed S --out DIR [--record erm,sam,msam8 --steps 50]",
    variation: "nice -n 10 /usr/bin/python3 tools/peer/train.py --export DIR --method M --steps 50 --variation V --out reports/peer-parity/torch/variation-V-M-s0.json",
    stateAfterStep1: "node --conditions=@sam-repro/source --import tsx tools/peer/state-after-steps.ts --export DIR --method M --out STATE; nice -n 10 /usr/bin/python3 tools/peer/train.py --export DIR --method M --steps 1 --compare-state STATE --out reports/peer-parity/torch/state-after-1-M-s0.json (and --dump-state / --float64 --compare-state for PyTorch's own rounding)",
    reference50: "nice -n 10 /usr/bin/python3 tools/peer/train.py --export DIR --method M --steps 50 [--float64] --out reports/peer-parity/torch/steps-M-s0[-f64].json",
    reference30: "nice -n 10 /usr/bin/python3 tools/peer/train.py --export DIR --method M --out reports/peer-parity/torch/final-M-sS.json (one thread)",
    ours30: "npx sam-repro train --model resnet_tiny --width 16 --train-size 5000 --test-size 10000 --no-augment --epochs 30 --batch-size 128 --lr 0.1 --schedule cosine --weight-decay 5e-4 --eval-every 5 --seed S [--sam sam --rho 0.1 --m 8] (the coordinator's runs under runs/deep-nets/cpu, matched by config)",
  },
};
writeJsonAtomic(path.join(outDirectory, "parity.json"), { ...report, generated: new Date().toISOString() });
writeFileAtomic(path.join(outDirectory, "README.md"), markdownSection(report));
process.stdout.write(`wrote ${path.relative(root, outDirectory)}/README.md and parity.json\n`);
