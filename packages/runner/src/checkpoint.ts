import { readJsonIfExists, writeJsonAtomic } from "./atomic.js";

/**
 * A checkpoint file for long runs: written atomically after each unit of work, read on start so an
 * interrupted run resumes where it stopped. `key` identifies the settings the state belongs to; a
 * checkpoint written for other settings is ignored rather than resumed.
 */
export class Checkpoint<State> {
  constructor(
    private readonly file: string,
    private readonly key: string,
  ) {}

  load(): State | null {
    const saved = readJsonIfExists<{ key: string; state: State }>(this.file);
    if (!saved || saved.key !== this.key) return null;
    return saved.state;
  }

  save(state: State): void {
    writeJsonAtomic(this.file, { key: this.key, savedAt: new Date().toISOString(), state });
  }
}
