import * as tf from "@tensorflow/tfjs";
import { SeededRandom } from "../random.js";

/**
 * A small conv net with both normalizations a PreAct ResNet uses, strided and padded convolutions
 * (stride 1 "same", stride 2 "same", stride 2 "valid" 1x1 shortcut), average pooling and a dense head:
 * every kernel and gradient a ResNet training step touches. Used by the backend equivalence tests.
 */
export const CONV_NET_SHAPES = {
  stem: [3, 3, 3, 8],
  bnScale: [8],
  bnShift: [8],
  conv: [3, 3, 8, 16],
  shortcut: [1, 1, 8, 16],
  gnScale: [16],
  gnShift: [16],
  head: [16, 5],
} as const;
export type ConvNetName = keyof typeof CONV_NET_SHAPES;
export type ConvNetValues = Record<ConvNetName, Float32Array>;

/** Seeded initial values (He-like scale for filters, scales near 1). */
export function convNetValues(seed: number): ConvNetValues {
  const random = new SeededRandom(seed);
  const values = {} as ConvNetValues;
  for (const [name, shape] of Object.entries(CONV_NET_SHAPES) as [ConvNetName, readonly number[]][]) {
    const size = shape.reduce((a, b) => a * b, 1);
    const array = new Float32Array(size);
    const isScale = name.endsWith("Scale");
    const isShift = name.endsWith("Shift");
    const std = isScale || isShift ? 0.1 : Math.sqrt(2 / shape.slice(0, -1).reduce((a, b) => a * b, 1));
    for (let i = 0; i < size; i++) array[i] = (isScale ? 1 : 0) + std * random.normal();
    values[name] = array;
  }
  return values;
}

/** Logits of the net for images x [n, h, w, 3]. */
export function convNetForward(p: Record<ConvNetName, tf.Tensor>, x: tf.Tensor4D): tf.Tensor2D {
  let h = tf.conv2d(x, p.stem as tf.Tensor4D, 1, "same");
  const { mean, variance } = tf.moments(h, [0, 1, 2]);
  h = h.sub(mean).mul(tf.rsqrt(variance.add(1e-5))).mul(p.bnScale).add(p.bnShift);
  h = tf.relu(h);
  const main = tf.conv2d(h as tf.Tensor4D, p.conv as tf.Tensor4D, 2, "same");
  const skip = tf.conv2d(h as tf.Tensor4D, p.shortcut as tf.Tensor4D, 2, "valid");
  let y = main.add(skip) as tf.Tensor4D;
  const [n, height, width] = y.shape;
  const groups = y.reshape([n, height, width, 4, 4]);
  const stats = tf.moments(groups, [1, 2, 4], true);
  y = groups.sub(stats.mean).mul(tf.rsqrt(stats.variance.add(1e-5))).reshape(y.shape).mul(p.gnScale).add(p.gnShift);
  y = tf.avgPool(tf.relu(y) as tf.Tensor4D, 2, 2, "valid");
  return (y.mean([1, 2]) as tf.Tensor2D).matMul(p.head as tf.Tensor2D) as tf.Tensor2D;
}

/** A seeded batch of images and one-hot labels (as plain arrays, so each backend makes its own tensors). */
export function convNetBatch(seed: number, batch: number, size: number): { images: Float32Array; labels: Float32Array; batch: number; size: number } {
  const random = new SeededRandom(seed);
  const images = new Float32Array(batch * size * size * 3);
  for (let i = 0; i < images.length; i++) images[i] = random.normal();
  const labels = new Float32Array(batch * 5);
  for (let i = 0; i < batch; i++) labels[i * 5 + random.integer(5)] = 1;
  return { images, labels, batch, size };
}

export type ConvNetBatch = ReturnType<typeof convNetBatch>;

function tensorsOf(values: ConvNetValues): Record<ConvNetName, tf.Tensor> {
  return Object.fromEntries(
    (Object.keys(CONV_NET_SHAPES) as ConvNetName[]).map((name) => [name, tf.tensor(values[name], [...CONV_NET_SHAPES[name]])]),
  ) as Record<ConvNetName, tf.Tensor>;
}

function lossOf(p: Record<ConvNetName, tf.Tensor>, data: ConvNetBatch): tf.Scalar {
  const x = tf.tensor4d(data.images, [data.batch, data.size, data.size, 3]);
  const y = tf.tensor2d(data.labels, [data.batch, 5]);
  return tf.losses.softmaxCrossEntropy(y, convNetForward(p, x));
}

/** Gradients of the cross-entropy loss on the active backend, by parameter name. */
export function convNetGradients(values: ConvNetValues, data: ConvNetBatch): Record<ConvNetName, Float32Array> {
  return tf.tidy(() => {
    const names = Object.keys(CONV_NET_SHAPES) as ConvNetName[];
    const params = tensorsOf(values);
    const grads = tf.grads((...ts: tf.Tensor[]) => lossOf(Object.fromEntries(names.map((name, i) => [name, ts[i]!])) as Record<ConvNetName, tf.Tensor>, data))(
      names.map((name) => params[name]),
    );
    return Object.fromEntries(names.map((name, i) => [name, grads[i]!.dataSync().slice() as Float32Array])) as Record<ConvNetName, Float32Array>;
  });
}

/** Losses of `steps` plain gradient-descent steps from `values` on the active backend (every step in tf.tidy). */
export function convNetLossCurve(values: ConvNetValues, data: ConvNetBatch, steps: number, learningRate: number): number[] {
  const names = Object.keys(CONV_NET_SHAPES) as ConvNetName[];
  const variables = tf.tidy(() => {
    const params = tensorsOf(values);
    return names.map((name) => tf.variable(params[name], true, undefined));
  });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() =>
        lossOf(Object.fromEntries(names.map((name, i) => [name, variables[i]! as tf.Tensor])) as Record<ConvNetName, tf.Tensor>, data),
      );
      losses.push(value.dataSync()[0]!);
      for (const variable of variables) variable.assign(variable.sub(grads[variable.name]!.mul(learningRate)));
    });
  }
  variables.forEach((v) => v.dispose());
  return losses;
}

/** max |a - b| / max |b|: the error relative to the reference's largest entry. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    norm = Math.max(norm, Math.abs(b[i]!));
  }
  return diff / norm;
}
