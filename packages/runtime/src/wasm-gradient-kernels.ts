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

/**
 * Conv2DBackpropInput for wasm on wasm's fast Conv2D (its own kernel is a scalar loop, ~10x slower):
 *   dx = conv2d(dilate(dy, stride), rot180(w)^T, stride 1)
 * where dilate inserts stride - 1 zeros between dy's pixels and rot180(w)^T[kh, kw, co, ci] =
 * w[KH-1-kh, KW-1-kw, ci, co]; the padding places the output on the input's pixels.
 */
function conv2dBackpropInput(args: { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs?: Attrs }): tf.TensorInfo {
  const { inputs, backend } = args;
  const attrs = (args.attrs ?? {}) as {
    inputShape: [number, number, number, number];
    strides: number | [number, number];
    pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
    dataFormat: "NHWC" | "NCHW";
    dimRoundingMode?: "floor" | "round" | "ceil";
  };
  if (attrs.dataFormat === "NCHW") throw new Error("Conv2DBackpropInput on wasm supports only NHWC");
  const dy = inputs.dy!;
  const filter = inputs.filter!;
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const [batch, height, width, inChannels] = attrs.inputShape;
  const [filterHeight, filterWidth, , outChannels] = filter.shape as [number, number, number, number];
  const { strideHeight, strideWidth, outHeight, outWidth } = info;
  const wasm = backend as WasmBackendLike;
  const transpose = wasmKernel("Transpose");
  const conv2d = wasmKernel("Conv2D");
  const slice = wasmKernel("Slice");
  const reshape = wasmKernel("Reshape");
  const gather = wasmKernel("GatherV2");
  const padKernel = wasmKernel("PadV2");
  const temporaries: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo) => (temporaries.push(t), t);

  // rot180(w)^T: taps in reverse order (a gather: wasm's Reverse is slow), then swap ci and co.
  const taps = filterHeight * filterWidth;
  const flat = keep(reshape({ inputs: { x: filter }, backend, attrs: { shape: [taps, inChannels, outChannels] } }));
  const order = keep(tapOrder(backend, taps));
  const reversed = keep(gather({ inputs: { x: flat, indices: order }, backend, attrs: { axis: 0, batchDims: 0 } }));
  const unflat = keep(reshape({ inputs: { x: reversed }, backend, attrs: { shape: [filterHeight, filterWidth, inChannels, outChannels] } }));
  const rotated = keep(transpose({ inputs: { x: unflat }, backend, attrs: { perm: [0, 1, 3, 2] } }));

  let spread = dy;
  let spreadHeight = outHeight;
  let spreadWidth = outWidth;
  if (strideHeight > 1 || strideWidth > 1) {
    // dilate: [n, oh, 1, ow, 1, c] padded to [n, oh, sh, ow, sw, c], then the trailing zeros cut off.
    const sixD = keep(reshape({ inputs: { x: dy }, backend, attrs: { shape: [batch, outHeight, 1, outWidth, 1, outChannels] } }));
    const padded = keep(
      padKernel({
        inputs: { x: sixD },
        backend,
        attrs: { paddings: [[0, 0], [0, 0], [0, strideHeight - 1], [0, 0], [0, strideWidth - 1], [0, 0]], constantValue: 0 },
      }),
    );
    const grid = keep(reshape({ inputs: { x: padded }, backend, attrs: { shape: [batch, outHeight * strideHeight, outWidth * strideWidth, outChannels] } }));
    spreadHeight = (outHeight - 1) * strideHeight + 1;
    spreadWidth = (outWidth - 1) * strideWidth + 1;
    spread = keep(slice({ inputs: { x: grid }, backend, attrs: { begin: [0, 0, 0, 0], size: [batch, spreadHeight, spreadWidth, outChannels] } }));
  }
  // Output row ih reads spread rows ih + padTop - (KH - 1) .. ih + padTop.
  const top = filterHeight - 1 - info.padInfo.top;
  const left = filterWidth - 1 - info.padInfo.left;
  const bottom = height - spreadHeight - top + filterHeight - 1;
  const right = width - spreadWidth - left + filterWidth - 1;
  const padding = [
    [0, 0],
    [Math.max(top, 0), Math.max(bottom, 0)],
    [Math.max(left, 0), Math.max(right, 0)],
    [0, 0],
  ] as tf.backend_util.ExplicitPadding;
  let result = conv2d({
    inputs: { x: spread, filter: rotated },
    backend,
    attrs: { strides: [1, 1], pad: padding, dataFormat: "NHWC", dilations: [1, 1], dimRoundingMode: undefined },
  });
  if (top < 0 || left < 0 || bottom < 0 || right < 0) {
    const full = keep(result);
    result = slice({ inputs: { x: full }, backend, attrs: { begin: [0, Math.max(-top, 0), Math.max(-left, 0), 0], size: [batch, height, width, inChannels] } });
  }
  for (const t of temporaries) wasm.disposeData(t.dataId);
  return result;
}

/** int32 tensor [taps - 1, ..., 0] on the wasm backend. */
function tapOrder(backend: unknown, taps: number): tf.TensorInfo {
  const values = new Int32Array(taps);
  for (let i = 0; i < taps; i++) values[i] = taps - 1 - i;
  const wasm = backend as { makeOutput(shape: number[], dtype: string, memoryOffset?: number, values?: Int32Array): tf.TensorInfo };
  return wasm.makeOutput([taps], "int32", undefined, values);
}

let registered = false;

/**
 * Registers on the wasm backend the gradient kernels that tfjs-backend-wasm 4.x does not ship
 * (Conv2DBackpropFilter), so convolutional networks with BatchNorm or GroupNorm train on wasm, and
 * replaces its scalar-loop Conv2DBackpropInput by one built on its fast Conv2D. Safe to call more than once.
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
  const original = tf.getKernel("Conv2DBackpropInput", "wasm");
  if (original) tf.unregisterKernel("Conv2DBackpropInput", "wasm");
  tf.registerKernel({
    kernelName: "Conv2DBackpropInput",
    backendName: "wasm",
    kernelFunc: conv2dBackpropInput as unknown as tf.KernelFunc,
  });
}
