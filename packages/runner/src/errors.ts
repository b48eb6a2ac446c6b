// InputError lives in @sam-repro/sam (the optimizer library throws it and depends on nothing of ours);
// re-exported here so every runner and the CLI catch the same class.
export { InputError } from "@sam-repro/sam/errors";
