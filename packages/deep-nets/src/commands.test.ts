import { describe, expect, test } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { InputError } from "@sam-repro/runner";
import { trainConfigFromFlags } from "./commands.js";

describe("sam-repro train flags", () => {
  test("flags fill the train config; n-sam means SAM with the previous batch's perturbation", () => {
    const config = trainConfigFromFlags({ model: "resnet18_gn", width: "32", sam: "n-sam", rho: "0.2", epochs: "3", seed: "4", augment: false });
    expect(config).toMatchObject({ model: "resnet18_gn", width: 32, epochs: 3, seed: 4, augment: false, batchSize: 128, learningRate: 0.1, weightDecay: 5e-4 });
    expect(config.sam).toMatchObject({ variant: "sam", rho: 0.2, ascentBatch: "previous" });
  });

  test("a config file is read and flags override it", () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "deep-nets-cli-")), "config.json");
    writeFileSync(file, JSON.stringify({ model: "resnet_tiny", width: 8, epochs: 5, sam: { variant: "sam", rho: 0.05, m: 32 } }));
    const config = trainConfigFromFlags({ config: file, epochs: "7", rho: "0.1" });
    expect(config).toMatchObject({ model: "resnet_tiny", width: 8, epochs: 7 });
    expect(config.sam).toMatchObject({ variant: "sam", rho: 0.1, m: 32 });
  });

  test("bad values are input errors naming the flag or field", () => {
    expect(() => trainConfigFromFlags({ epochs: "many" })).toThrow(/--epochs: "many" is not a number/);
    expect(() => trainConfigFromFlags({ config: "/no/such/file.json" })).toThrow(InputError);
    expect(() => trainConfigFromFlags({ width: "-3" })).toThrow(/width/);
  });
});
