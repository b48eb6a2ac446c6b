/**
 * Checkpoints in tfjs's own format: tf.io.ModelArtifacts whose weightSpecs/weightData hold the tensors in
 * binary (what tf.io.encodeWeights writes and tf.io.decodeWeights reads) and whose userDefinedMetadata holds
 * the small JSON rest. Any tf.io handler stores them: tf.io.withSaveHandler, "indexeddb://", "localstorage://",
 * tf.io.browserDownloads, tfjs-node's "file://". A LayersModel saves its own weights with model.save; the
 * SAM optimizer's state (momentum slots, step, random stream, n-SAM's previous batch) goes in a second set of
 * artifacts, and variables made with tf.variable in a third.
 */
import * as tf from "@tensorflow/tfjs-core";
import { InputError } from "../errors.js";
import type { SamOptimizer, SerializedSamState } from "./sam-optimizer.js";

/** Format tag in userDefinedMetadata of the optimizer artifacts. */
export const SAM_STATE_ARTIFACTS_FORMAT = "sam-repro/sam-optimizer-artifacts@1";

const BASE_PREFIX = "base/";
const PREVIOUS_X = "previous-batch/x";
const PREVIOUS_Y = "previous-batch/y";

interface SamStateMetadata extends Record<string, {}> {
  format: typeof SAM_STATE_ARTIFACTS_FORMAT;
  step: number;
  rng: SerializedSamState["rng"];
  /** The base optimizer's weight names, in its getWeights() order. */
  base: string[];
  previousBatch: boolean;
}

/** Encodes named tensors as tf.io artifacts (weightSpecs + one binary weightData buffer). */
export async function tensorsToArtifacts(
  tensors: Record<string, tf.Tensor>,
  metadata?: { [key: string]: {} },
): Promise<tf.io.ModelArtifacts> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  return { weightSpecs: specs, weightData: data, ...(metadata ? { userDefinedMetadata: metadata } : {}) };
}

/** The named tensors of tf.io artifacts (the caller disposes them). */
export function artifactsToTensors(artifacts: tf.io.ModelArtifacts, source = "artifacts"): Record<string, tf.Tensor> {
  if (!artifacts || !Array.isArray(artifacts.weightSpecs) || artifacts.weightData == null) {
    throw new InputError(`${source}: needs weightSpecs and weightData (tf.io.ModelArtifacts)`);
  }
  return tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
}

/** Writes the values of `variables` into tf.io artifacts, under their keys (e.g. { w1, b1, w2 }). */
export async function variablesToArtifacts(variables: Record<string, tf.Variable>): Promise<tf.io.ModelArtifacts> {
  return tensorsToArtifacts(variables);
}

/** Assigns every variable from artifacts written by variablesToArtifacts; a missing name or shape mismatch is an error. */
export function loadVariablesFromArtifacts(variables: Record<string, tf.Variable>, artifacts: tf.io.ModelArtifacts): void {
  const tensors = artifactsToTensors(artifacts);
  try {
    for (const [name, variable] of Object.entries(variables)) {
      const value = tensors[name];
      if (!value) throw new InputError(`artifacts: no weight named "${name}"; present: ${Object.keys(tensors).join(", ")}`);
      if (!tf.util.arraysEqual(value.shape, variable.shape)) {
        throw new InputError(`artifacts: weight "${name}" has shape [${value.shape}], the variable [${variable.shape}]`);
      }
      variable.assign(value);
    }
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** The optimizer's state (SamOptimizer.getState) as tf.io artifacts: tensors in binary, the rest in userDefinedMetadata. */
export async function samStateToArtifacts(sam: SamOptimizer): Promise<tf.io.ModelArtifacts> {
  const state = await sam.getState();
  const tensors: Record<string, tf.Tensor> = {};
  state.base.forEach((w) => (tensors[BASE_PREFIX + w.name] = tf.tensor(w.values, w.shape, w.dtype)));
  if (state.previousBatch) {
    tensors[PREVIOUS_X] = tf.tensor(state.previousBatch.x.values, state.previousBatch.x.shape, state.previousBatch.x.dtype);
    tensors[PREVIOUS_Y] = tf.tensor(state.previousBatch.y.values, state.previousBatch.y.shape, state.previousBatch.y.dtype);
  }
  const metadata: SamStateMetadata = {
    format: SAM_STATE_ARTIFACTS_FORMAT,
    step: state.step,
    rng: state.rng,
    base: state.base.map((w) => w.name),
    previousBatch: state.previousBatch !== null,
  };
  try {
    return await tensorsToArtifacts(tensors, metadata);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** Restores artifacts from samStateToArtifacts into `sam`, so that its next step continues the saved run exactly. */
export async function loadSamStateFromArtifacts(sam: SamOptimizer, artifacts: tf.io.ModelArtifacts): Promise<void> {
  const metadata = artifacts?.userDefinedMetadata as Partial<SamStateMetadata> | undefined;
  if (metadata?.format !== SAM_STATE_ARTIFACTS_FORMAT) {
    throw new InputError(`artifacts.userDefinedMetadata.format: ${JSON.stringify(metadata?.format)}; allowed: ${SAM_STATE_ARTIFACTS_FORMAT}`);
  }
  if (!Array.isArray(metadata.base) || !Array.isArray(metadata.rng) || typeof metadata.step !== "number") {
    throw new InputError("artifacts.userDefinedMetadata: needs step (number), rng and base (arrays), as samStateToArtifacts writes");
  }
  const tensors = artifactsToTensors(artifacts);
  try {
    const record = async (name: string) => {
      const tensor = tensors[name];
      if (!tensor) throw new InputError(`artifacts: no weight named "${name}"`);
      return { shape: [...tensor.shape], dtype: tensor.dtype, values: Array.from((await tensor.data()) as ArrayLike<number>) };
    };
    const base = await Promise.all(metadata.base.map(async (name) => ({ name, ...(await record(BASE_PREFIX + name)) })));
    const previousBatch = metadata.previousBatch ? { x: await record(PREVIOUS_X), y: await record(PREVIOUS_Y) } : null;
    await sam.setState({ format: "sam-repro/sam-optimizer@1", step: metadata.step, rng: metadata.rng, base, previousBatch });
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
