import * as tf from "@tensorflow/tfjs";

type Attrs = Record<string, unknown>;
interface WasmBackendLike {
  disposeData(dataId: object, force?: boolean): boolean;
}
type KernelCall = (args: { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs?: Attrs }) => tf.TensorInfo;

/** Looks up a kernel that the wasm backend already has, so new kernels can be composed from fast ones. */
function wasmKernel(name: string): KernelCall {
  const config = tf.getKernel(name, "wasm");
  if (!config) throw new Error(`wasm backend lacks kernel ${name}, needed to compose gradient kernels`);
  return config.kernelFunc as unknown as KernelCall;
}

/**
 * Conv2DBackpropFilter for wasm, built on wasm's fast Conv2D:
 *   dW[kh, kw, ci, co] = sum_{n, oh, ow} x[n, oh*s + kh - padTop, ow*s + kw - padLeft, ci] * dy[n, oh, ow, co]
 * which is a convolution of x^T (channels as batch, batch as channels) with dy^T as the filter, with
 * dilation equal to the forward stride; the result is cropped to the filter size and transposed back.
 */
function conv2dBackpropFilter(args: {
  inputs: Record<string, tf.TensorInfo>;
  backend: unknown;
  attrs?: Attrs;
}): tf.TensorInfo {
  const { inputs, backend } = args;
  const attrs = (args.attrs ?? {}) as {
    strides: number | [number, number];
    pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
    dataFormat: "NHWC" | "NCHW";
    dimRoundingMode?: "floor" | "round" | "ceil";
    filterShape: [number, number, number, number];
  };
  const x = inputs.x;
  const dy = inputs.dy;
  if (attrs.dataFormat === "NCHW") throw new Error("Conv2DBackpropFilter on wasm supports only NHWC");
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const [filterHeight, filterWidth, inChannels, outChannels] = attrs.filterShape;
  const transpose = wasmKernel("Transpose");
  const conv2d = wasmKernel("Conv2D");
  const slice = wasmKernel("Slice");
  const wasm = backend as WasmBackendLike;

  const xT = transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } }); // [ci, H, W, n]
  const dyT = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } }); // [oh, ow, n, co]
  const pad = info.padInfo;
  const correlation = conv2d({
    inputs: { x: xT, filter: dyT },
    backend,
    attrs: {
      strides: [1, 1],
      pad: [
        [0, 0],
        [pad.top, pad.bottom],
        [pad.left, pad.right],
        [0, 0],
      ],
      dataFormat: "NHWC",
      dilations: [info.strideHeight, info.strideWidth],
      dimRoundingMode: undefined,
    },
  }); // [ci, >=kh, >=kw, co]
  wasm.disposeData(xT.dataId);
  wasm.disposeData(dyT.dataId);
  const cropped = slice({
    inputs: { x: correlation },
    backend,
    attrs: { begin: [0, 0, 0, 0], size: [inChannels, filterHeight, filterWidth, outChannels] },
  });
  wasm.disposeData(correlation.dataId);
  const filterGradient = transpose({ inputs: { x: cropped }, backend, attrs: { perm: [1, 2, 0, 3] } });
  wasm.disposeData(cropped.dataId);
  return filterGradient;
}

let registered = false;

/**
 * Registers on the wasm backend the gradient kernels that tfjs-backend-wasm 4.x does not ship
 * (Conv2DBackpropFilter), so convolutional networks with BatchNorm or GroupNorm train on wasm.
 * Safe to call more than once.
 */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel("Conv2DBackpropFilter", "wasm")) {
    tf.registerKernel({
      kernelName: "Conv2DBackpropFilter",
      backendName: "wasm",
      kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc,
    });
  }
}
