import * as tf from "@tensorflow/tfjs";

type Attrs = Record<string, unknown>;
type KernelCall = (args: { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs?: Attrs }) => tf.TensorInfo;
interface WasmBackendLike {
  disposeData(dataId: object, force?: boolean): boolean;
  readSync(dataId: object): Float32Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

function wasmKernel(name: string): KernelCall {
  const config = tf.getKernel(name, "wasm");
  if (!config) throw new Error(`wasm backend lacks kernel ${name}`);
  return config.kernelFunc as unknown as KernelCall;
}

/**
 * Conv2DBackpropInput for wasm on top of wasm's fast Conv2D. tfjs-backend-wasm's own kernel is a
 * scalar loop that took ~60% of a ResNet training step. The input gradient of
 *   y[o] = sum_k x[o*s + k - p] w[k]      (per spatial axis; p = padding before)
 * is dx[i] = sum_k dyd[i + p - k] w[k], where dyd is dy with s-1 zeros inserted after each element:
 * a stride-1 correlation of dyd, zero-padded by (K-1-p) before, with the spatially flipped filter
 * whose in/out channels are swapped. The padding after makes the output length equal the input's.
 */
function conv2dBackpropInput(args: { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs?: Attrs }): tf.TensorInfo {
  const { inputs, backend } = args;
  const attrs = (args.attrs ?? {}) as {
    strides: number | [number, number];
    pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
    dataFormat: "NHWC" | "NCHW";
    dimRoundingMode?: "floor" | "round" | "ceil";
    inputShape: [number, number, number, number];
  };
  if (attrs.dataFormat === "NCHW") throw new Error("Conv2DBackpropInput on wasm supports only NHWC");
  const dy = inputs.dy!;
  const filter = inputs.filter!;
  const wasm = backend as WasmBackendLike;
  const [kh, kw, inChannels, outChannels] = filter.shape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, [kh, kw, inChannels, outChannels], attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const reshape = wasmKernel("Reshape");
  const padV2 = wasmKernel("PadV2");
  const slice = wasmKernel("Slice");
  const conv2d = wasmKernel("Conv2D");

  // Flipped, channel-swapped filter, built in JS: filters are small next to activations.
  const weights = wasm.readSync(filter.dataId);
  const flipped = new Float32Array(weights.length);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const sourceTap = ((kh - 1 - i) * kw + (kw - 1 - j)) * inChannels * outChannels;
      const targetTap = (i * kw + j) * outChannels * inChannels;
      for (let c = 0; c < inChannels; c++) {
        for (let o = 0; o < outChannels; o++) flipped[targetTap + o * inChannels + c] = weights[sourceTap + c * outChannels + o]!;
      }
    }
  }
  const filterT = wasm.makeOutput([kh, kw, outChannels, inChannels], "float32");
  wasm.typedArrayFromHeap(filterT).set(flipped);

  const [n, outHeight, outWidth] = dy.shape as [number, number, number, number];
  const strideH = info.strideHeight;
  const strideW = info.strideWidth;
  let source = dy;
  let ownsSource = false;
  if (strideH > 1 || strideW > 1) {
    const expanded = reshape({ inputs: { x: dy }, backend, attrs: { shape: [n, outHeight, 1, outWidth, 1, outChannels] } });
    const padded = padV2({
      inputs: { x: expanded },
      backend,
      attrs: { paddings: [[0, 0], [0, 0], [0, strideH - 1], [0, 0], [0, strideW - 1], [0, 0]], constantValue: 0 },
    });
    wasm.disposeData(expanded.dataId);
    source = reshape({ inputs: { x: padded }, backend, attrs: { shape: [n, outHeight * strideH, outWidth * strideW, outChannels] } });
    wasm.disposeData(padded.dataId);
    ownsSource = true;
  }
  const [, height, width] = attrs.inputShape;
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = height + kh - 1 - top - source.shape[1]!;
  const right = width + kw - 1 - left - source.shape[2]!;
  // Negative padding means some (zero or unused) rows/columns of dyd are cropped instead.
  if (top < 0 || left < 0 || bottom < 0 || right < 0) {
    const begin = [0, Math.max(0, -top), Math.max(0, -left), 0];
    const size = [n, source.shape[1]! - begin[1]! + Math.min(0, bottom), source.shape[2]! - begin[2]! + Math.min(0, right), outChannels];
    const cropped = slice({ inputs: { x: source }, backend, attrs: { begin, size } });
    if (ownsSource) wasm.disposeData(source.dataId);
    source = cropped;
    ownsSource = true;
  }
  const result = conv2d({
    inputs: { x: source, filter: filterT },
    backend,
    attrs: {
      strides: [1, 1],
      pad: [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]],
      dataFormat: "NHWC",
      dilations: [1, 1],
      dimRoundingMode: undefined,
    },
  });
  if (ownsSource) wasm.disposeData(source.dataId);
  wasm.disposeData(filterT.dataId);
  return result;
}

let registered = false;

/**
 * Replaces wasm's Conv2DBackpropInput kernel with the Conv2D-based one above (the runtime package
 * registers the filter gradient the same way). Idempotent; no effect on other backends.
 */
export function registerFastConvInputGradient(): void {
  if (registered) return;
  registered = true;
  if (tf.getKernel("Conv2DBackpropInput", "wasm")) tf.unregisterKernel("Conv2DBackpropInput", "wasm");
  tf.registerKernel({ kernelName: "Conv2DBackpropInput", backendName: "wasm", kernelFunc: conv2dBackpropInput as unknown as tf.KernelFunc });
}
