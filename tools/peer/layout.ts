/**
 * How our ResNet's tensors map onto the PyTorch reference (tools/peer/train.py): names, shapes and the axis
 * permutation that turns our layout into PyTorch's. Pure (no I/O), so the mapping is tested without torch.
 *
 * Ours (tfjs, NHWC): conv filter [kh, kw, in, out]; linear weight [in, out]; norm "scale"/"shift" and BatchNorm
 * "runningMean"/"runningVariance" [c]. PyTorch (NCHW): conv weight [out, in, kh, kw] = ours.permute(3, 2, 0, 1);
 * linear weight [out, in] = ours.T; BatchNorm weight/bias/running_mean/running_var [c].
 */
import type { ParameterSpec } from "../../packages/deep-nets/src/models/architecture.js";

export interface TensorMapping {
  /** Our name (architecture.ts), e.g. "stage2.block1.conv1". */
  name: string;
  /** The reference's state_dict key, e.g. "stages.1.0.conv1.weight". */
  torchName: string;
  /** Our shape. */
  shape: number[];
  /** PyTorch's shape: shape[permutation[i]] for each i. */
  torchShape: number[];
  /** torch tensor = ours.permute(permutation): axis i of PyTorch's tensor is axis permutation[i] of ours. */
  permutation: number[];
  /** Trainable parameter (else a BatchNorm running statistic). */
  trainable: boolean;
}

const SUFFIXES: Record<string, string> = { scale: "weight", shift: "bias", runningMean: "running_mean", runningVariance: "running_var" };

/** The reference's state_dict key of one of our tensor names (see the module comment for the scheme). */
export function torchNameOf(name: string): string {
  if (name === "head.linear.weight") return "linear.weight";
  if (name === "head.linear.bias") return "linear.bias";
  if (name === "stem.conv") return "stem.weight";
  const parts = name.split(".");
  let prefix: string;
  let rest: string[];
  const stage = /^stage(\d+)$/.exec(parts[0]!);
  const block = /^block(\d+)$/.exec(parts[1] ?? "");
  if (stage && block) {
    prefix = `stages.${Number(stage[1]) - 1}.${Number(block[1]) - 1}.`;
    rest = parts.slice(2);
  } else if (parts[0] === "head" && parts[1] === "norm") {
    prefix = "head_norm.";
    rest = parts.slice(2);
  } else {
    throw new Error(`torchNameOf: no PyTorch name for "${name}"`);
  }
  // conv1 / conv2 / shortcut.conv -> "<layer>.weight"; norm1.scale -> "norm1.weight"; ...
  if (rest.length === 1 && /^conv\d$/.test(rest[0]!)) return `${prefix}${rest[0]}.weight`;
  if (rest.length === 2 && rest[0] === "shortcut" && rest[1] === "conv") return `${prefix}shortcut.weight`;
  const last = rest[rest.length - 1]!;
  const head = rest.slice(0, -1).join(".");
  const suffix = SUFFIXES[last];
  if (suffix === undefined) throw new Error(`torchNameOf: no PyTorch name for "${name}"`);
  return `${prefix}${head ? head + "." : ""}${suffix}`;
}

/** The permutation from our layout to PyTorch's for a tensor of this rank (4: conv, 2: linear, 1: vectors). */
export function permutationOf(shape: readonly number[]): number[] {
  if (shape.length === 4) return [3, 2, 0, 1];
  if (shape.length === 2) return [1, 0];
  if (shape.length === 1) return [0];
  throw new Error(`permutationOf: no layout for rank ${shape.length}`);
}

/** The mapping of every parameter and statistic of a network description (architecture.ts describeNetwork). */
export function tensorMappings(parameters: readonly ParameterSpec[], statistics: readonly ParameterSpec[]): TensorMapping[] {
  const map = (spec: ParameterSpec, trainable: boolean): TensorMapping => {
    const permutation = permutationOf(spec.shape);
    return { name: spec.name, torchName: torchNameOf(spec.name), shape: [...spec.shape], torchShape: permutation.map((axis) => spec.shape[axis]!), permutation, trainable };
  };
  return [...parameters.map((spec) => map(spec, true)), ...statistics.map((spec) => map(spec, false))];
}

/**
 * out = values (row-major, `shape`) with its axes permuted: out has shape shape[permutation[i]] and
 * out[j_0, ..., j_{r-1}] = values[i] where i's index on axis permutation[k] is j_k (numpy's transpose).
 */
export function permuteAxes(values: Float32Array, shape: readonly number[], permutation: readonly number[]): Float32Array {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  let stride = 1;
  for (let axis = rank - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis]!;
  }
  const outShape = permutation.map((axis) => shape[axis]!);
  const outStrides = permutation.map((axis) => strides[axis]!);
  const out = new Float32Array(values.length);
  const index = new Array<number>(rank).fill(0);
  for (let j = 0; j < out.length; j++) {
    let source = 0;
    for (let k = 0; k < rank; k++) source += index[k]! * outStrides[k]!;
    out[j] = values[source]!;
    for (let k = rank - 1; k >= 0; k--) {
      if (++index[k]! < outShape[k]!) break;
      index[k] = 0;
    }
  }
  return out;
}
