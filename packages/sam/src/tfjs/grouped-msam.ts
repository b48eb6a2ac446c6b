/**
 * m-SAM in two passes for any m (SPEC 1.3 a): the k = b/m sub-batches are evaluated at once on k replicas of the
 * weights, W[g] = w for g < k. The gradient of sum_g L_{I_g}(W[g]) with respect to W[g] is sub-batch g's own
 * gradient g_g, so one pass gives every perturbation
 *   delta_g = rho g_g / (||g_g|| + eps)   (or USAM / ASAM / K projected steps; one global norm per replica),
 * and one pass at W[g] = w + delta_g gives the descent gradient G = (1/k) sum_g grad L_{I_g}(w + delta_g).
 * The values equal the sequential loop of SamOptimizer to float32 rounding; the cost is that of SAM (two passes)
 * instead of 2k passes of m examples each. Needs a loss that takes replicated weights (withGroupedLoss) whose
 * `available` check passes (e.g. the backend has a grouped convolution kernel); otherwise SamOptimizer keeps its loop.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ResolvedSamOptions } from "../options.js";
import type { Batch, LossFunction, PassInfo } from "./sam-optimizer.js";
import { ascentSettingsOf, perturbedWeights, type PerturbationNorm } from "./tensor-perturbation.js";

/**
 * A grouped pass's place in the sequence of running-statistics updates. The loop updates them once per sub-batch
 * and pass, sub-batch by sub-batch: with `slots` updating passes per sub-batch ("both-passes": the ascent steps,
 * then the descent), sub-batch g's update in this pass is number g * slots + slot of the groups * slots updates.
 * The grouped passes run in slot order (slot 0 for every group first), so the model must weight each group's
 * statistics as if they had come at that position (for momentum mu: see @sam-repro/deep-nets grouped-layers.ts).
 */
export interface GroupedPassInfo extends PassInfo {
  statisticsSlot: number;
  statisticsSlots: number;
  /**
   * Set when every replica is an exact copy of the weights (the first ascent pass, at w): weights[i][g] equals
   * sharedWeights[i] for every g. A loss may compute with these where that is cheaper (e.g. one dense convolution
   * in place of k grouped ones), as long as the gradients it gives are still per replica.
   */
  sharedWeights?: tf.Tensor[];
}

/**
 * The mean loss of each of `groups` equal consecutive sub-batches of `batch` ([groups] tensor), where sub-batch g
 * sees weights[i][g] in place of variable i (weights[i] has shape [groups, ...variable i's shape]). With BatchNorm
 * every group normalizes with its own batch statistics, and when pass.updateStatistics is true the running
 * statistics must end as after the loop's sequential updates (see GroupedPassInfo; one slot: group 0 first).
 */
export type GroupedLossFunction = (batch: Batch, pass: GroupedPassInfo, weights: tf.Tensor[], groups: number) => tf.Tensor1D;

const GROUPED_LOSS = Symbol.for("@sam-repro/sam.groupedLoss");

interface GroupedForm {
  grouped: GroupedLossFunction;
  available: () => boolean;
}

/**
 * `lossFn` that also carries its replicated-weights form, which m-SAM uses for a step when `available()` is true
 * then (e.g. `() => tf.getKernel("SamReproGroupedConv2D", tf.getBackend()) !== undefined`: only where the grouped
 * convolution is one kernel is the grouped form faster); otherwise the step loops over the sub-batches.
 */
export function withGroupedLoss(lossFn: LossFunction, grouped: GroupedLossFunction, available: () => boolean = () => true): LossFunction {
  const combined: LossFunction = (batch, pass) => lossFn(batch, pass);
  (combined as unknown as Record<symbol, GroupedForm>)[GROUPED_LOSS] = { grouped, available };
  return combined;
}

/** The replicated-weights form attached by withGroupedLoss, if any. */
function groupedFormOf(lossFn: LossFunction): GroupedForm | undefined {
  return (lossFn as unknown as Record<symbol, GroupedForm | undefined>)[GROUPED_LOSS];
}

/** Bytes of replicas (weights, perturbation, gradient and perturbed weights, 16 per parameter) per chunk of groups. */
export const GROUPED_REPLICA_BUDGET_BYTES = 512 * 1024 * 1024;
let replicaBudgetBytes = GROUPED_REPLICA_BUDGET_BYTES;

/** Changes the replica budget (tests use a small one to exercise chunking); returns the previous value. */
export function setReplicaBudgetBytes(bytes: number): number {
  const previous = replicaBudgetBytes;
  replicaBudgetBytes = bytes;
  return previous;
}

export interface GroupedSamRequest {
  options: ResolvedSamOptions;
  lossFn: LossFunction;
  batch: Batch;
  parts: number;
  rho: number;
  variables: tf.Variable[];
  /** Copies of the variables' values at w. */
  saved: tf.Tensor[];
  /** ASAM's T = |w| + eta per variable, else null. */
  scale: tf.Tensor[] | null;
  /** Whether the ascent comes from the descent batch (not n-SAM, not random). */
  sameBatch: boolean;
  /** BatchNorm statistics update in every pass (else once per sub-batch, in the first ascent pass at w). */
  bothPasses: boolean;
}

export interface GroupedSamResult {
  /** Mean over sub-batches of the descent gradients (weight decay included). */
  gradients: tf.Tensor[];
  lossValue: tf.Scalar;
  normValue: tf.Scalar;
  unperturbed: true;
}

/** Whether groupedSamGradients applies to this step (else the caller loops over the sub-batches). */
export function canGroup(request: Pick<GroupedSamRequest, "options" | "lossFn" | "parts" | "sameBatch">): boolean {
  const variant = request.options.variant;
  return (
    request.parts > 1 &&
    request.sameBatch &&
    (variant === "sam" || variant === "usam" || variant === "asam") &&
    groupedFormOf(request.lossFn)?.available() === true
  );
}

/** m-SAM's averaged perturbed gradient in two grouped passes per chunk of sub-batches (call inside tf.tidy). */
export function groupedSamGradients(request: GroupedSamRequest): GroupedSamResult {
  const { options, batch, parts, rho, saved, scale } = request;
  const grouped = groupedFormOf(request.lossFn)!.grouped;
  const m = (batch.x.shape[0] ?? 0) / parts;
  const parameterCount = saved.reduce((sum, w) => sum + w.size, 0);
  const chunk = chunkSize(parts, Math.max(1, Math.floor(replicaBudgetBytes / (16 * parameterCount))));
  const lambda = options.weightDecayMode === "objective" ? options.weightDecay : 0;
  const settings = ascentSettingsOf(options, rho, scale);
  // Pass p (ascent steps 0..K-1, descent K) updates the statistics in slot p of K + 1 with both-passes, else only
  // the first ascent pass does (one slot), as in SamOptimizer's loop.
  const slots = request.bothPasses ? options.ascentSteps + 1 : 1;
  const statistics = (p: number) => ({ updateStatistics: request.bothPasses || p === 0, statisticsSlot: request.bothPasses ? p : 0, statisticsSlots: slots });

  // 1 * w broadcast to [groups, ...]: exact copies, and a plain broadcasting multiply is cheap on every backend
  // (tf.broadcastTo runs the cpu Tile kernel, ~30x slower here). Chunks of one size share one set of replicas (the
  // ascent pass only reads them), made once a step.
  const replicaSets = new Map<number, tf.Tensor[]>();
  const replicasOf = (groups: number) => {
    let replicas = replicaSets.get(groups);
    if (!replicas) {
      replicas = tf.tidy(() => saved.map((w) => tf.mul(tf.ones([groups, ...new Array<number>(w.rank).fill(1)]), w)));
      replicaSets.set(groups, replicas);
    }
    return replicas;
  };
  let sums: tf.Tensor[] | null = null;
  try {
    for (let first = 0; first < parts; first += chunk) {
      const groups = Math.min(chunk, parts - first);
      const replicas = replicasOf(groups);
      const next = tf.tidy(() => {
        const sub = sliceBatch(batch, first * m, groups * m);
        // Nested tidies free each pass's replicated gradients as soon as they are used: replicas cost k times the
        // weights each, the one place where grouped m-SAM needs more memory than the loop. The perturbed weights are
        // w + delta_g with w broadcast (bitwise replicas + delta: the replicas are exact copies), formed in one pass
        // where the backend has a kernel for it (REPLICA_NORM.addScaled).
        const [loss, norms, ...perturbed] = tf.tidy(() => {
          const atW: { loss?: tf.Scalar } = {};
          const ascent = perturbedWeights(
            settings,
            (current, step) => {
              const at = current ? replicas.map((r, i) => tf.add(r, current[i]!)) : replicas;
              const shared = current ? {} : { sharedWeights: saved };
              const pass = objective(grouped, sub, { ...statistics(step), kind: "ascent", ...shared }, at, groups, lambda);
              if (step === 0) atW.loss = pass.value;
              return pass.gradients;
            },
            saved,
            REPLICA_NORM,
          );
          return [atW.loss!, tf.sum(ascent.size), ...ascent.weights];
        });
        const gradientSums = tf.tidy(() => {
          const descent = objective(grouped, sub, { ...statistics(options.ascentSteps), kind: "descent" }, perturbed, groups, lambda);
          return descent.gradients.map((g) => tf.sum(g, 0));
        });
        tf.dispose(perturbed);
        const partial = [...gradientSums, loss!, norms];
        return sums ? partial.map((t, i) => tf.add(sums![i]!, t)) : partial;
      });
      if (sums) tf.dispose(sums);
      sums = next;
    }
  } finally {
    for (const replicas of replicaSets.values()) tf.dispose(replicas);
  }
  const count = saved.length;
  return {
    gradients: sums!.slice(0, count).map((g) => tf.div(g, parts)),
    lossValue: tf.div(sums![count]!, parts) as tf.Scalar,
    normValue: tf.div(sums![count + 1]!, parts) as tf.Scalar,
    unperturbed: true,
  };
}

/** Sum over groups of the group losses and its gradients in the replicas, plus lambda * replica (objective weight decay). */
function objective(grouped: GroupedLossFunction, batch: Batch, pass: GroupedPassInfo, weights: tf.Tensor[], groups: number, lambda: number) {
  const { value, grads } = tf.valueAndGrads((...ws: tf.Tensor[]) => tf.sum(grouped(batch, pass, ws, groups)) as tf.Scalar)(weights);
  const gradients = lambda > 0 ? grads.map((g, i) => tf.add(g, tf.mul(weights[i]!, lambda))) : grads;
  return { value, gradients };
}

/**
 * Groups per chunk for `parts` sub-batches when at most `limit` fit the replica budget: equal chunks where a divisor
 * of `parts` needs at most twice the fewest chunks (every chunk then has the same tensor shapes, so a backend that
 * recycles buffers by size reuses one set; measured on PreAct ResNet-18 w64, 16-SAM: chunks of 3, 3, 2 took 4.4 s
 * a step at 1.68 GB peak, chunks of 2 took 4.0 s at 0.95 GB), else the fewest chunks (the last one smaller).
 */
export function chunkSize(parts: number, limit: number): number {
  if (limit >= parts) return parts;
  const fewest = Math.ceil(parts / limit);
  for (let chunks = fewest; chunks <= 2 * fewest; chunks++) if (parts % chunks === 0) return parts / chunks;
  return Math.ceil(parts / fewest);
}

/**
 * Kernels that the native backend of @sam-repro/runtime registers and other backends lack: sum of a * b over axes
 * without storing the product (the replica norms: Square then Sum in one pass), and base + g * factor per replica
 * (the perturbed replicas: Multiply then Add in one pass). Both equal their fallback in tfjs ops bit for bit.
 */
const MULTIPLY_SUM_KERNEL = "SamReproMultiplySum";
const REPLICA_AXPY_KERNEL = "SamReproReplicaAxpy";

/** Runs the backend's kernel `name` where it is registered, else `fallback` (the same values in tfjs ops). */
function fusedOr(name: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown>, fallback: () => tf.Tensor): tf.Tensor {
  if (tf.getKernel(name, tf.getBackend()) === undefined) return fallback();
  return tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** Per-replica global l2 norm: [k] with entry g = sqrt(sum_i ||t_i[g]||^2). */
export function replicaNorms(tensors: readonly tf.Tensor[]): tf.Tensor1D {
  const squares = tensors.map((t) => {
    if (t.rank === 1) return tf.square(t);
    const axes = range(1, t.rank);
    return fusedOr(MULTIPLY_SUM_KERNEL, { a: t, b: t }, { axes, outShape: [t.shape[0]!] }, () => tf.sum(tf.square(t), axes));
  });
  return tf.sqrt(tf.addN(squares)) as tf.Tensor1D;
}

/** factor [k] shaped to multiply a replicated tensor [k, ...]. */
function perReplica(factor: tf.Tensor1D, like: tf.Tensor): tf.Tensor {
  return tf.reshape(factor, [factor.shape[0], ...new Array<number>(like.rank - 1).fill(1)]);
}

/** base [...] + g [k, ...] * factor [k]: one pass with the backend's kernel, else Multiply then Add (the same values). */
function replicaAxpy(base: tf.Tensor, g: tf.Tensor, factor: tf.Tensor): tf.Tensor {
  return fusedOr(REPLICA_AXPY_KERNEL, { base, g, factor }, {}, () => tf.add(base, tf.mul(g, perReplica(factor as tf.Tensor1D, g))));
}

/** The per-replica norm: the perturbation of each replica g uses replica g's own gradient norm (m-SAM). */
const REPLICA_NORM: PerturbationNorm = { of: replicaNorms, scale: (factor, like) => perReplica(factor as tf.Tensor1D, like), addScaled: replicaAxpy };

function sliceBatch(batch: Batch, start: number, size: number): Batch {
  if (start === 0 && size === batch.x.shape[0]) return batch;
  const slice = (t: tf.Tensor) => tf.slice(t, [start, ...new Array<number>(t.rank - 1).fill(0)], [size, ...t.shape.slice(1)]);
  return { x: slice(batch.x), y: slice(batch.y) };
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}
