/**
 * ResNet architectures of the official code (SPEC 4.2) as pure descriptions: the list of parameters
 * with their shapes and initializations, so counts are exact without allocating tensors.
 *
 * - "preact": PreAct ResNet (He et al. 2016b). Stem conv3x3 3->w; stages of PreAct blocks with widths
 *   w, 2w, 4w, 8w and strides 1, 2, 2, 2; block = norm->ReLU->(1x1 shortcut conv on the pre-activated
 *   input when the shape changes)->conv3x3->norm->ReLU->conv3x3, plus the shortcut; head = norm->ReLU->
 *   global average pool->linear (with bias). [2,2,2,2] is PreAct ResNet-18.
 * - "standard": post-activation ResNet (He et al. 2016a). Stem conv3x3->norm->ReLU; block =
 *   conv->norm->ReLU->conv->norm, plus the shortcut (1x1 conv + norm when the shape changes), then ReLU;
 *   head = global average pool->linear. [3,4,6,3] is ResNet-34.
 * Convolutions have no bias. Normalization is BatchNorm, or GroupNorm with a fixed number of groups
 * (the official `_gn` models use width/2 groups, 32 at width 64).
 */
export type Normalization = "batch" | "group";
export type Architecture = "preact" | "standard";

export interface ModelConfig {
  architecture: Architecture;
  /** Blocks per stage; stage k has width * 2^k channels. */
  blocks: number[];
  width: number;
  normalization: Normalization;
  classes: number;
  /** GroupNorm groups (default width / 2); every layer's channel count must be divisible by it. */
  groups?: number;
}

/** The official code's model names (SPEC 4.1 `--model`), mapped to architectures. */
export const MODEL_PRESETS: Readonly<Record<string, Omit<ModelConfig, "width" | "classes">>> = {
  resnet18: { architecture: "preact", blocks: [2, 2, 2, 2], normalization: "batch" },
  resnet18_gn: { architecture: "preact", blocks: [2, 2, 2, 2], normalization: "group" },
  resnet34: { architecture: "standard", blocks: [3, 4, 6, 3], normalization: "batch" },
  resnet34preact: { architecture: "preact", blocks: [3, 4, 6, 3], normalization: "batch" },
  resnet34_gn: { architecture: "preact", blocks: [3, 4, 6, 3], normalization: "group" },
  // One block per stage: the small networks of the cpu profile.
  resnet_tiny: { architecture: "preact", blocks: [1, 1, 1, 1], normalization: "batch" },
  resnet_tiny_gn: { architecture: "preact", blocks: [1, 1, 1, 1], normalization: "group" },
};
export const MODEL_NAMES = Object.keys(MODEL_PRESETS);

/** A preset by name with a width and class count. */
export function modelFromPreset(name: string, width: number, classes: number): ModelConfig {
  const preset = MODEL_PRESETS[name];
  if (!preset) throw new Error(`unknown model "${name}"; allowed: ${MODEL_NAMES.join(", ")}`);
  return { ...preset, blocks: [...preset.blocks], width, classes };
}

export type Initializer =
  /** Kaiming normal, fan_out mode (PyTorch kaiming_normal_(mode='fan_out', nonlinearity='relu')): N(0, 2 / (k*k*c_out)). */
  | { kind: "kaiming-normal-fan-out"; fanOut: number }
  /** U(-bound, bound): PyTorch's default Linear weight init, bound = 1/sqrt(fan_in). */
  | { kind: "uniform"; bound: number }
  | { kind: "constant"; value: number };

export interface ParameterSpec {
  name: string;
  shape: number[];
  init: Initializer;
}

/** A normalization layer, referring to its parameters and (BatchNorm) running statistics by name. */
export interface NormLayer {
  kind: "norm";
  scale: string;
  shift: string;
  /** BatchNorm running statistics; absent for GroupNorm. */
  runningMean?: string;
  runningVariance?: string;
  channels: number;
}

export interface ConvLayer {
  kind: "conv";
  filter: string;
  stride: number;
  /** Zero padding on every side (1 for 3x3, 0 for 1x1): PyTorch's symmetric padding. */
  padding: number;
}

export interface BlockSpec {
  inChannels: number;
  outChannels: number;
  stride: number;
  conv1: ConvLayer;
  conv2: ConvLayer;
  norm1: NormLayer;
  norm2: NormLayer;
  shortcut?: { conv: ConvLayer; norm?: NormLayer };
}

export interface NetworkSpec {
  config: ModelConfig;
  parameters: ParameterSpec[];
  /** Non-trainable BatchNorm running statistics (mean: zeros, variance: ones). */
  statistics: ParameterSpec[];
  stem: { conv: ConvLayer; norm?: NormLayer };
  blocks: BlockSpec[];
  headNorm?: NormLayer;
  linear: { weight: string; bias: string; inFeatures: number };
}

/** Builds the parameter list and layer structure of a ResNet (SPEC 4.2). */
export function describeNetwork(config: ModelConfig): NetworkSpec {
  validateConfig(config);
  const parameters: ParameterSpec[] = [];
  const statistics: ParameterSpec[] = [];
  const conv = (name: string, kernel: number, inChannels: number, outChannels: number, stride: number): ConvLayer => {
    parameters.push({
      name,
      shape: [kernel, kernel, inChannels, outChannels],
      init: { kind: "kaiming-normal-fan-out", fanOut: kernel * kernel * outChannels },
    });
    return { kind: "conv", filter: name, stride, padding: kernel === 3 ? 1 : 0 };
  };
  const norm = (name: string, channels: number): NormLayer => {
    parameters.push({ name: `${name}.scale`, shape: [channels], init: { kind: "constant", value: 1 } });
    parameters.push({ name: `${name}.shift`, shape: [channels], init: { kind: "constant", value: 0 } });
    const layer: NormLayer = { kind: "norm", scale: `${name}.scale`, shift: `${name}.shift`, channels };
    if (config.normalization === "batch") {
      statistics.push({ name: `${name}.runningMean`, shape: [channels], init: { kind: "constant", value: 0 } });
      statistics.push({ name: `${name}.runningVariance`, shape: [channels], init: { kind: "constant", value: 1 } });
      layer.runningMean = `${name}.runningMean`;
      layer.runningVariance = `${name}.runningVariance`;
    }
    return layer;
  };

  const preact = config.architecture === "preact";
  const stem = { conv: conv("stem.conv", 3, 3, config.width, 1), ...(preact ? {} : { norm: norm("stem.norm", config.width) }) };
  const blocks: BlockSpec[] = [];
  let inChannels = config.width;
  config.blocks.forEach((count, stage) => {
    const outChannels = config.width * 2 ** stage;
    for (let index = 0; index < count; index++) {
      const stride = index === 0 && stage > 0 ? 2 : 1;
      const prefix = `stage${stage + 1}.block${index + 1}`;
      // Parameter order follows the forward pass, so checkpoints list them in a readable order.
      let block: BlockSpec;
      if (preact) {
        const norm1 = norm(`${prefix}.norm1`, inChannels);
        const conv1 = conv(`${prefix}.conv1`, 3, inChannels, outChannels, stride);
        const norm2 = norm(`${prefix}.norm2`, outChannels);
        const conv2 = conv(`${prefix}.conv2`, 3, outChannels, outChannels, 1);
        block = { inChannels, outChannels, stride, norm1, conv1, norm2, conv2 };
        if (stride !== 1 || inChannels !== outChannels) block.shortcut = { conv: conv(`${prefix}.shortcut.conv`, 1, inChannels, outChannels, stride) };
      } else {
        const conv1 = conv(`${prefix}.conv1`, 3, inChannels, outChannels, stride);
        const norm1 = norm(`${prefix}.norm1`, outChannels);
        const conv2 = conv(`${prefix}.conv2`, 3, outChannels, outChannels, 1);
        const norm2 = norm(`${prefix}.norm2`, outChannels);
        block = { inChannels, outChannels, stride, norm1, conv1, norm2, conv2 };
        if (stride !== 1 || inChannels !== outChannels) {
          block.shortcut = {
            conv: conv(`${prefix}.shortcut.conv`, 1, inChannels, outChannels, stride),
            norm: norm(`${prefix}.shortcut.norm`, outChannels),
          };
        }
      }
      blocks.push(block);
      inChannels = outChannels;
    }
  });
  const headNorm = preact ? norm("head.norm", inChannels) : undefined;
  const bound = 1 / Math.sqrt(inChannels);
  parameters.push({ name: "head.linear.weight", shape: [inChannels, config.classes], init: { kind: "uniform", bound } });
  parameters.push({ name: "head.linear.bias", shape: [config.classes], init: { kind: "constant", value: 0 } });
  return {
    config,
    parameters,
    statistics,
    stem,
    blocks,
    ...(headNorm ? { headNorm } : {}),
    linear: { weight: "head.linear.weight", bias: "head.linear.bias", inFeatures: inChannels },
  };
}

/** Number of trainable parameters p (conv filters, norm affine parameters, linear weight and bias). */
export function countParameters(config: ModelConfig): number {
  return describeNetwork(config).parameters.reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1), 0);
}

/** Effective GroupNorm groups. */
export function groupCount(config: ModelConfig): number {
  return config.groups ?? Math.max(1, Math.floor(config.width / 2));
}

function validateConfig(config: ModelConfig): void {
  if (!Number.isInteger(config.width) || config.width < 1) throw new Error(`model width must be a positive integer, got ${config.width}`);
  if (!Number.isInteger(config.classes) || config.classes < 2) throw new Error(`classes must be an integer >= 2, got ${config.classes}`);
  if (config.blocks.length < 1 || config.blocks.some((count) => !Number.isInteger(count) || count < 1)) {
    throw new Error(`blocks must be positive integers per stage, got [${config.blocks.join(", ")}]`);
  }
  if (config.normalization === "group") {
    const groups = groupCount(config);
    if (config.width % groups !== 0) throw new Error(`GroupNorm: width ${config.width} is not divisible by ${groups} groups`);
  }
}
