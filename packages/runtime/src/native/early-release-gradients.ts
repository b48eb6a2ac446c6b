/**
 * Backpropagation that frees memory as it goes, for the native backend. tfjs's Engine.gradients keeps the gradient
 * of every intermediate tensor and every tensor saved for the backward pass until the whole backward pass ends, so
 * a training step's peak holds the forward activations plus all of their gradients (2.2 GB for PreAct ResNet-18
 * w64 at batch 128). Here, once a tape node's gradient has been computed, the gradients flowing into it (dy) and
 * the tensors it saved are no longer needed and are disposed at once, as PyTorch's autograd does. The same
 * gradient functions run in the same order on the same tensors: the results are bitwise those of tfjs. Nested
 * (higher-order) gradients and other backends keep tfjs's own method.
 */
import * as tf from "@tensorflow/tfjs";
import { NATIVE_BACKEND_NAME } from "./native-backend.js";

interface TapeNode {
  id: number;
  kernelName: string;
  outputs: tf.Tensor[];
  inputs: Record<string, tf.Tensor>;
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

type GradientsResult = { value: tf.Tensor; grads: tf.Tensor[] };
type Gradients = (f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean) => GradientsResult;

/** The parts of tfjs's Engine (4.x) this module relies on. */
interface EngineInternals {
  backendName: string;
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(nameOrFn: string | (() => T), fn?: () => T): T;
  gradients: Gradients;
}

let original: Gradients | null = null;

/** The tape nodes on a path from some x to y, with each node's inputs restricted to tensors that depend on an x. */
export function nodesFromXsToY(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const nodeFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((input) => fromX.has(input.id))) {
      nodeFromX.add(node.id);
      for (const output of node.outputs) fromX.add(output.id);
    }
  }
  const toY = new Set([y.id]);
  const nodeToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (node.outputs.some((output) => toY.has(output.id))) {
      nodeToY.add(node.id);
      for (const input of Object.values(node.inputs)) toY.add(input.id);
    }
  }
  return tape
    .filter((node) => nodeFromX.has(node.id) && nodeToY.has(node.id))
    .map((node) => ({ ...node, inputs: Object.fromEntries(Object.entries(node.inputs).filter(([, input]) => fromX.has(input.id))) }));
}

/** Accumulated gradients by tensor id, counting how many entries hold each tensor object (gradients may alias). */
class GradientMap {
  private readonly byId = new Map<number, tf.Tensor>();
  private readonly holders = new Map<tf.Tensor, number>();

  get(id: number): tf.Tensor | undefined {
    return this.byId.get(id);
  }

  set(id: number, gradient: tf.Tensor): void {
    this.remove(id);
    this.byId.set(id, gradient);
    this.holders.set(gradient, (this.holders.get(gradient) ?? 0) + 1);
  }

  /** Removes the entry and returns its tensor when no other entry holds it (the caller may dispose it). */
  remove(id: number): tf.Tensor | undefined {
    const gradient = this.byId.get(id);
    if (!gradient) return undefined;
    this.byId.delete(id);
    const left = this.holders.get(gradient)! - 1;
    if (left > 0) {
      this.holders.set(gradient, left);
      return undefined;
    }
    this.holders.delete(gradient);
    return gradient;
  }

  holds(tensor: tf.Tensor): boolean {
    return this.holders.has(tensor);
  }
}

function earlyReleaseGradients(this: EngineInternals, f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients = false): GradientsResult {
  if (this.backendName !== NATIVE_BACKEND_NAME || this.state.gradientDepth > 0 || xs.length === 0 || (dy != null && dy.dtype !== "float32")) {
    return original!.call(this, f, xs, dy, allowNoGradients);
  }
  const y = this.scopedRun(() => this.startTape(), () => this.endTape(), () => this.tidy("forward", f));
  if (!(y instanceof tf.Tensor)) throw new Error("gradients: the function must return a tensor");
  const tape = this.state.activeTape!;
  const nodes = nodesFromXsToY(tape, xs, y);
  if (!allowNoGradients && nodes.length === 0) throw new Error("gradients: no operation of the function connects the inputs xs to its result y");
  const keep = new Set(xs.map((x) => x.id));
  // Only tensors made during this backward pass are released early (tensor ids increase): a gradient function
  // that hands back a tensor from elsewhere (a constant, an input) never loses it.
  const firstBackwardId = (tf.engine().constructor as unknown as { nextTensorId: number }).nextTensorId;
  return this.tidy("backward", () => {
    const gradients = new GradientMap();
    gradients.set(y.id, dy ?? tf.ones(y.shape));
    const release = (tensor: tf.Tensor | undefined) => {
      if (tensor && tensor.id >= firstBackwardId && !gradients.holds(tensor)) tensor.dispose();
    };
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i]!;
      if (!node.gradient) throw new Error(`gradients: no gradient function for ${node.kernelName}`);
      const inputGradients = node.gradient(node.outputs.map((output) => gradients.get(output.id) ?? null));
      for (const [name, x] of Object.entries(node.inputs)) {
        const gradientOf = inputGradients[name];
        if (!gradientOf) throw new Error(`gradients: ${node.kernelName} gives no gradient for its input ${name}`);
        const dx = this.tidy(() => gradientOf());
        if (dx.dtype !== "float32") throw new Error(`gradients: ${node.kernelName}'s gradient for ${name} is ${dx.dtype}, not float32`);
        if (!tf.util.arraysEqual(dx.shape, x.shape)) throw new Error(`gradients: ${node.kernelName}'s gradient for ${name} has shape [${dx.shape}], its input [${x.shape}]`);
        const current = gradients.get(x.id);
        if (!current) {
          gradients.set(x.id, dx);
        } else {
          gradients.set(x.id, tf.add(current, dx));
          release(current);
          release(dx);
        }
      }
      // Nothing before this node in the tape reads its outputs' gradients or its saved tensors.
      for (const output of node.outputs) if (!keep.has(output.id)) release(gradients.remove(output.id));
      for (const saved of node.saved ?? []) if (!gradients.holds(saved)) saved.dispose();
    }
    const grads = xs.map((x) => gradients.get(x.id)!);
    for (const node of tape) for (const saved of node.saved ?? []) saved.dispose();
    this.state.activeTape = null;
    return { value: y, grads };
  });
}

/** Makes tf.grads, tf.variableGrads, ... on the native backend free gradients and saved tensors during backpropagation (once). */
export function installEarlyReleaseGradients(): void {
  if (original) return;
  const engine = tf.engine() as unknown as EngineInternals;
  original = engine.gradients;
  engine.gradients = earlyReleaseGradients;
}

/** Restores tfjs's own Engine.gradients (tests compare the two). */
export function uninstallEarlyReleaseGradients(): void {
  if (!original) return;
  (tf.engine() as unknown as EngineInternals).gradients = original;
  original = null;
}
