import * as tf from "@tensorflow/tfjs";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { BufferPool } from "./buffer-pool.js";
import type { NativeKernels } from "./addon.js";

/** Name under which the native backend is registered with tfjs. */
export const NATIVE_BACKEND_NAME = "native";

type DataId = object;
interface TensorData {
  values?: tf.backend_util.BackendValues;
  dtype: tf.DataType;
  refCount: number;
}

/**
 * tfjs's cpu backend with its heavy kernels replaced by the native addon. Tensors live in ordinary
 * Float32Arrays (so there is no 4 GB wasm heap limit), every cpu kernel remains available for
 * the ops the addon does not cover, and the native kernels read and write those arrays in place.
 */
export class NativeBackend extends MathBackendCPU {
  readonly pool: BufferPool;

  constructor(
    readonly kernels: NativeKernels,
    poolLimitBytes: number,
  ) {
    super();
    // The cpu backend's first write prints a "use tfjs-node" banner that does not apply here.
    (this as unknown as { firstUse: boolean }).firstUse = false;
    this.pool = new BufferPool(poolLimitBytes);
  }

  /** The stored values of a tensor (read by kernels in place). */
  valuesOf(info: tf.TensorInfo): tf.backend_util.BackendValues {
    return (this.data.get(info.dataId) as TensorData).values!;
  }

  /** Replaces a tensor's stored values by an equal Float32Array copy (same numbers, same dtype). */
  replaceValues(info: tf.TensorInfo, values: Float32Array): void {
    (this.data.get(info.dataId) as TensorData).values = values;
  }

  /** A new float32 tensor whose contents the caller fills in. */
  allocate(shape: number[]): { info: tf.TensorInfo; values: Float32Array } {
    const values = this.pool.take(tf.util.sizeFromShape(shape));
    return { info: this.makeTensorInfo(shape, "float32", values), values };
  }

  override readSync(dataId: DataId): tf.backend_util.BackendValues {
    const values = super.readSync(dataId);
    // The caller may keep these values: never recycle them.
    if (ArrayBuffer.isView(values)) this.pool.disown(values.buffer);
    return values;
  }

  override disposeData(dataId: DataId, force = false): boolean {
    if (!this.data.has(dataId)) return true;
    const values = (this.data.get(dataId) as TensorData).values;
    const released = super.disposeData(dataId, force);
    if (released && values instanceof Float32Array) this.pool.give(values);
    return released;
  }

  override dispose(): void {
    this.pool.clear();
    super.dispose();
  }
}
