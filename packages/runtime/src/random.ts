// SeededRandom lives in @sam-repro/sam (the optimizer library needs it and depends on nothing of ours);
// re-exported here so the experiment packages keep importing it from the runtime.
export { SeededRandom } from "@sam-repro/sam/random";
