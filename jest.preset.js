// Shared jest settings for every package: native ESM, TypeScript through swc, and the
// "@sam-repro/source" export condition so workspace packages resolve to their src/.
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.dirname(fileURLToPath(import.meta.url));

export function packageJestConfig(packageDir) {
  const name = path.basename(packageDir);
  return {
    displayName: name,
    rootDir: packageDir,
    testEnvironment: "node",
    testEnvironmentOptions: { customExportConditions: ["@sam-repro/source", "node", "node-addons"] },
    extensionsToTreatAsEsm: [".ts"],
    moduleFileExtensions: ["ts", "js", "mjs", "cjs", "json"],
    testMatch: ["<rootDir>/src/**/*.test.ts", "<rootDir>/test/**/*.test.ts"],
    moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
    transform: {
      "^.+\\.ts$": [
        "@swc/jest",
        {
          jsc: { parser: { syntax: "typescript" }, target: "es2022" },
          module: { type: "es6" },
          sourceMaps: "inline",
        },
      ],
    },
    cacheDirectory: path.join(root, "node_modules", ".cache", "jest"),
  };
}
