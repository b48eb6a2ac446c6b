import * as tf from "@tensorflow/tfjs";
import { SeededRandom, batchNormTraining, groupedConv2d } from "@sam-repro/runtime";

/**
 * Minimal CIFAR networks for the training benchmark, written with tfjs ops on plain variables the
 * way @sam-repro/deep-nets writes its models (BatchNorm + ReLU through batchNormTraining: fused on the native
 * backend, x * s + t from tf.moments elsewhere), so that the benchmark measures the kernels real training runs. The PyTorch twin is
 * pytorch_training_bench.py, which builds the same layers (ResNet-20: 272,474 parameters in both).
 */
export interface BenchModel {
  name: string;
  variables: tf.Variable[];
  /** Logits [batch, 10] for images [batch, 32, 32, 3], BatchNorm in training mode. */
  logits(x: tf.Tensor4D): tf.Tensor2D;
  /**
   * Logits of k groups of m images, group g computed with weights[i][g] ([k, ...shape]) in place of variables[i]
   * and BatchNorm statistics of its own (m-SAM on replicated weights, @sam-repro/sam withGroupedLoss); with
   * `shared` (every replica a copy of shared[i]: the pass at w) the convolutions compute with those.
   */
  groupedLogits(x: tf.Tensor4D, weights: tf.Tensor[], groups: number, shared?: tf.Tensor[]): tf.Tensor2D;
  dispose(): void;
}

/** preact10-w16: the 1-block PreAct ResNet of width 16, the model of the deep-net regime (deep-nets resnet_tiny). */
export const BENCH_MODEL_NAMES = ["resnet20", "preact10-w16", "preact18-w16", "preact18-w64"] as const;
export type BenchModelName = (typeof BENCH_MODEL_NAMES)[number];

class ParameterStore {
  readonly byName = new Map<string, tf.Variable>();
  private readonly random: SeededRandom;
  private static nextId = 0;
  constructor(seed: number) {
    this.random = new SeededRandom(seed);
  }
  /** He-normal filter [k, k, in, out]. */
  conv(name: string, size: number, inChannels: number, outChannels: number): void {
    const std = Math.sqrt(2 / (size * size * inChannels));
    this.add(name, [size, size, inChannels, outChannels], () => std * this.random.normal());
  }
  norm(name: string, channels: number): void {
    this.add(`${name}.gamma`, [channels], () => 1);
    this.add(`${name}.beta`, [channels], () => 0);
  }
  dense(name: string, inputs: number, outputs: number): void {
    const bound = 1 / Math.sqrt(inputs);
    this.add(`${name}.w`, [inputs, outputs], () => bound * (2 * this.random.uniform() - 1));
    this.add(`${name}.b`, [outputs], () => 0);
  }
  get(name: string): tf.Variable {
    const variable = this.byName.get(name);
    if (!variable) throw new Error(`bench model: no parameter ${name}`);
    return variable;
  }
  private add(name: string, shape: number[], value: () => number): void {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = value();
    this.byName.set(name, tf.variable(tf.tensor(values, shape), true, `bench-${ParameterStore.nextId++}-${name}`));
  }
}

/** The layers a forward pass uses: on the variables, or on replicated weights (grouped). */
interface Layers {
  conv(x: tf.Tensor4D, name: string, stride: number): tf.Tensor4D;
  /**
   * y = x * s + t, s = gamma / sqrt(var + 1e-5), t = beta - mean * s, with the batch's (or group's) mean and
   * variance, plus `residual` when given (a post-activation block's shortcut), then ReLU when `relu`
   * (batchNormTraining: fused on the native backend).
   */
  batchNorm(x: tf.Tensor4D, name: string, relu?: boolean, residual?: tf.Tensor4D): tf.Tensor4D;
  /** Global average pool, then the linear layer fc. */
  head(h: tf.Tensor4D): tf.Tensor2D;
}

function plainLayers(p: ParameterStore): Layers {
  return {
    conv: (x, name, stride) => {
      const filter = p.get(name) as unknown as tf.Tensor4D;
      return tf.conv2d(x, filter, stride, filter.shape[0] === 1 ? "valid" : "same");
    },
    batchNorm: (x, name, relu = false, residual) => batchNormTraining(x, p.get(`${name}.gamma`), p.get(`${name}.beta`), { relu, epsilon: 1e-5, residual }).y,
    head: (h) => tf.add(tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, p.get("fc.w") as unknown as tf.Tensor2D), p.get("fc.b")),
  };
}

/** The same layers with weights[i] = [k, ...shape of variable i]: grouped convolution, per-group BatchNorm, batched linear. */
function groupedLayers(p: ParameterStore, weights: tf.Tensor[], k: number, shared?: tf.Tensor[]): Layers {
  const index = new Map([...p.byName.keys()].map((name, i) => [name, i]));
  const get = (name: string) => weights[index.get(name)!]!;
  const perGroup = (name: string) => tf.reshape(get(name), [k, 1, -1]);
  return {
    conv: (x, name, stride) => {
      const filter = get(name);
      return groupedConv2d(x, filter, stride, filter.shape[1] === 1 ? "valid" : "same", shared?.[index.get(name)!] as tf.Tensor4D | undefined);
    },
    batchNorm: (x, name, relu = false, residual) => batchNormTraining(x, get(`${name}.gamma`), get(`${name}.beta`), { groups: k, relu, epsilon: 1e-5, residual }).y,
    head: (h) => {
      const features = tf.reshape(tf.mean(h, [1, 2]), [k, -1, h.shape[3]]) as tf.Tensor3D;
      const logits = tf.add(tf.matMul(features, get("fc.w") as tf.Tensor3D), perGroup("fc.b"));
      return tf.reshape(logits, [h.shape[0], -1]) as tf.Tensor2D;
    },
  };
}

interface Block {
  name: string;
  inChannels: number;
  outChannels: number;
  stride: number;
}

function blocksOf(widths: number[], perStage: number): Block[] {
  const blocks: Block[] = [];
  let inChannels = widths[0]!;
  widths.forEach((width, stage) => {
    for (let b = 0; b < perStage; b++) {
      blocks.push({ name: `s${stage}b${b}`, inChannels, outChannels: width, stride: stage > 0 && b === 0 ? 2 : 1 });
      inChannels = width;
    }
  });
  return blocks;
}

function model(name: string, p: ParameterStore, forward: (x: tf.Tensor4D, layers: Layers) => tf.Tensor2D): BenchModel {
  const variables = [...p.byName.values()];
  return {
    name,
    variables,
    logits: (x) => forward(x, plainLayers(p)),
    groupedLogits: (x, weights, groups, shared) => forward(x, groupedLayers(p, weights, groups, shared)),
    dispose: () => variables.forEach((v) => v.dispose()),
  };
}

/** ResNet-20 (He et al.) of widths 16-32-64 with BatchNorm and 1x1-conv shortcuts where shapes change. */
export function resnet20(seed = 1): BenchModel {
  const widths = [16, 32, 64];
  const blocks = blocksOf(widths, 3);
  const p = new ParameterStore(seed);
  p.conv("stem", 3, 3, 16);
  p.norm("stem.bn", 16);
  for (const b of blocks) {
    p.conv(`${b.name}.conv1`, 3, b.inChannels, b.outChannels);
    p.norm(`${b.name}.bn1`, b.outChannels);
    p.conv(`${b.name}.conv2`, 3, b.outChannels, b.outChannels);
    p.norm(`${b.name}.bn2`, b.outChannels);
    if (b.stride !== 1 || b.inChannels !== b.outChannels) {
      p.conv(`${b.name}.shortcut`, 1, b.inChannels, b.outChannels);
      p.norm(`${b.name}.bns`, b.outChannels);
    }
  }
  p.dense("fc", 64, 10);
  return model("resnet20", p, (x, l) => {
    let h = l.batchNorm(l.conv(x, "stem", 1), "stem.bn", true);
    for (const b of blocks) {
      const y = l.batchNorm(l.conv(h, `${b.name}.conv1`, b.stride), `${b.name}.bn1`, true);
      const shortcut = p.byName.has(`${b.name}.shortcut`) ? l.batchNorm(l.conv(h, `${b.name}.shortcut`, b.stride), `${b.name}.bns`) : h;
      // relu(bn2(conv2(y)) + shortcut) in one kernel (PyTorch's model: bn2, add, relu).
      h = l.batchNorm(l.conv(y, `${b.name}.conv2`, 1), `${b.name}.bn2`, true, shortcut);
    }
    return l.head(h);
  });
}

/**
 * PreAct ResNet (He et al. 2016) of widths w-2w-4w-8w with BatchNorm and `perStage` blocks a stage: PreAct ResNet-18
 * with 2, the 1-block model of the deep-net regime (PreAct ResNet-10) with 1.
 */
export function preactResnet(width: number, perStage: 1 | 2, seed = 1): BenchModel {
  const widths = [width, 2 * width, 4 * width, 8 * width];
  const blocks = blocksOf(widths, perStage);
  const p = new ParameterStore(seed);
  p.conv("stem", 3, 3, width);
  for (const b of blocks) {
    p.norm(`${b.name}.bn1`, b.inChannels);
    p.conv(`${b.name}.conv1`, 3, b.inChannels, b.outChannels);
    p.norm(`${b.name}.bn2`, b.outChannels);
    p.conv(`${b.name}.conv2`, 3, b.outChannels, b.outChannels);
    if (b.stride !== 1 || b.inChannels !== b.outChannels) p.conv(`${b.name}.shortcut`, 1, b.inChannels, b.outChannels);
  }
  p.norm("head.bn", 8 * width);
  p.dense("fc", 8 * width, 10);
  return model(`preact${perStage === 2 ? 18 : 10}-w${width}`, p, (x, l) => {
    let h = l.conv(x, "stem", 1);
    for (const b of blocks) {
      const activated = l.batchNorm(h, `${b.name}.bn1`, true);
      const shortcut = p.byName.has(`${b.name}.shortcut`) ? l.conv(activated, `${b.name}.shortcut`, b.stride) : h;
      let y = l.conv(activated, `${b.name}.conv1`, b.stride);
      y = l.conv(l.batchNorm(y, `${b.name}.bn2`, true), `${b.name}.conv2`, 1);
      h = tf.add(y, shortcut);
    }
    return l.head(l.batchNorm(h, "head.bn", true));
  });
}

/** The benchmark model of that name, initialized from `seed`. */
export function makeBenchModel(name: BenchModelName, seed = 1): BenchModel {
  if (name === "resnet20") return resnet20(seed);
  if (name === "preact10-w16") return preactResnet(16, 1, seed);
  return preactResnet(name === "preact18-w16" ? 16 : 64, 2, seed);
}
