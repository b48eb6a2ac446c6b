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

  test("empty and out-of-range values are refused, naming the flag, the value and the allowed range (issue 15 part 5)", () => {
    expect(() => trainConfigFromFlags({ lr: "" })).toThrow('--lr: "" is not a number');
    expect(() => trainConfigFromFlags({ rho: " " })).toThrow('--rho: " " is not a number');
    expect(() => trainConfigFromFlags({ testSize: "20000" })).toThrow(/testSize: 20000 .*--test-size.*allowed 1\.\.10000/);
    expect(() => trainConfigFromFlags({ trainSize: "60000" })).toThrow(/trainSize: 60000 .*--train-size.*allowed 1\.\.45000/);
    expect(trainConfigFromFlags({ trainSize: "45000", testSize: "10000" })).toMatchObject({ trainSize: 45000, testSize: 10000 });
  });

  test("settings that conflict with each other are refused from the config alone (issue 15 part 6)", () => {
    expect(() => trainConfigFromFlags({ sam: "sam", m: "7" })).toThrow(/sam\.m: 7 does not divide the batch size 128 \(--m\)/);
    expect(trainConfigFromFlags({ sam: "sam", m: "32" }).sam.m).toBe(32);
    expect(() => trainConfigFromFlags({ trainSize: "100", batchSize: "128" })).toThrow(/batchSize: 128 is larger than the 100 training images \(--batch-size\)/);
    expect(() => trainConfigFromFlags({ sam: "random" })).toThrow(/sam\.randomSigma: required for variant "random" \(--random-sigma\)/);
    expect(trainConfigFromFlags({ sam: "random", randomSigma: "0.01" }).sam.randomSigma).toBe(0.01);
  });

  test("a config file that is not an object, or whose sam is not one, says what was expected (issue 15 parts 4, 7)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "deep-nets-cli-"));
    const file = (name: string, text: string) => {
      writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    expect(() => trainConfigFromFlags({ config: file("null.json", "null") })).toThrow(/expected an object of train settings, got null/);
    expect(() => trainConfigFromFlags({ config: file("array.json", "[1]") })).toThrow(/expected an object of train settings, got \[1\]/);
    expect(() => trainConfigFromFlags({ config: file("sam.json", '{"sam": "sam"}') })).toThrow(/sam: expected an object such as .* got "sam"/);
    for (const name of ["null.json", "array.json", "sam.json"]) {
      try {
        trainConfigFromFlags({ config: path.join(dir, name) });
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
        expect((error as Error).message).not.toContain("\n");
      }
    }
  });
});
