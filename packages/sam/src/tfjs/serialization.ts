/** JSON form of tensors for the optimizer state (arrays of numbers, so a checkpoint is plain JSON). */
import * as tf from "@tensorflow/tfjs-core";
import { InputError } from "../errors.js";

export interface SerializedTensor {
  shape: number[];
  dtype: tf.DataType;
  values: number[];
}

export interface SerializedNamedTensor extends SerializedTensor {
  name: string;
}

/** Reads a tensor's values into a JSON-serialisable record. */
export async function serializeTensor(tensor: tf.Tensor): Promise<SerializedTensor> {
  if (tensor.dtype === "string" || tensor.dtype === "complex64") {
    throw new InputError(`tensor dtype: cannot serialise ${tensor.dtype}; allowed: float32, int32, bool`);
  }
  return { shape: [...tensor.shape], dtype: tensor.dtype, values: Array.from((await tensor.data()) as ArrayLike<number>) };
}

/** The tensor a SerializedTensor describes (the caller disposes it). */
export function deserializeTensor(record: SerializedTensor, source: string): tf.Tensor {
  const size = record.shape.reduce((a, b) => a * b, 1);
  if (!Array.isArray(record.values) || record.values.length !== size) {
    throw new InputError(`${source}: ${record.values?.length} values do not fill the shape [${record.shape.join(", ")}]`);
  }
  return tf.tensor(record.values, record.shape, record.dtype);
}
