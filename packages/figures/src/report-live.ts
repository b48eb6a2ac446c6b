/**
 * The live panel of the report: implicit-bias's browser entry (packages/implicit-bias/src/browser/live-panel.ts),
 * bundled by esbuild into one classic script that the page inlines. The bundle may contain only the library's
 * pure modules: the package entry points that diag-net.ts and problem.ts import are mapped to the pure files that
 * hold what they use (the package indexes also load tfjs and the file system), and a bundle that pulls in
 * anything outside packages/<name>/src (a node_modules package, a Node built-in) is refused.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { workspaceRoot } from "@sam-repro/runner";
import type { LivePanel } from "./report-html.js";

/** The browser entry, relative to the workspace root. */
export const LIVE_PANEL_ENTRY = "packages/implicit-bias/src/browser/live-panel.ts";

/** Package entry points -> the pure source files the browser bundle uses instead. */
export const PURE_MODULES: Record<string, string> = {
  "@sam-repro/runtime": "packages/runtime/src/random.ts",
  "@sam-repro/runner": "packages/runner/src/errors.ts",
  "@sam-repro/figures": "packages/figures/src/style.ts",
};

/** The id of the panel's section; the script fills the element `${LIVE_PANEL_ID}-panel`. */
export const LIVE_PANEL_ID = "live-diag-net";

/** Bundles the live panel (IIFE, minified, ES2020); throws when the bundle would contain anything impure. */
export async function bundleLivePanel(root: string = workspaceRoot()): Promise<string> {
  const esbuild = await import("esbuild");
  const entry = path.join(root, LIVE_PANEL_ENTRY);
  if (!existsSync(entry)) throw new Error(`live panel: ${entry} is missing`);
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2020",
    minify: true,
    legalComments: "none",
    conditions: ["@sam-repro/source"],
    metafile: true,
    logLevel: "silent",
    absWorkingDir: root,
    plugins: [
      {
        name: "pure-modules",
        setup(build) {
          build.onResolve({ filter: /^@sam-repro\/[^/]+$/ }, (args) => {
            const pure = PURE_MODULES[args.path];
            if (!pure) return { errors: [{ text: `${args.path} (imported by ${args.importer}) has no pure module for the browser; allowed: ${Object.keys(PURE_MODULES).join(", ")}` }] };
            return { path: path.join(root, pure) };
          });
        },
      },
    ],
  });
  const impure = Object.keys(result.metafile.inputs).filter((input) => !/^packages\/[^/]+\/src\//.test(path.relative(root, path.resolve(root, input))));
  if (impure.length > 0) throw new Error(`live panel: the bundle would include ${impure.join(", ")}; only packages/<name>/src files may go into it`);
  return result.outputFiles[0]!.text;
}

/** The live panel for the page: Figure 6's experiment rerun in the browser. */
export async function livePanel(root?: string): Promise<LivePanel> {
  return {
    id: LIVE_PANEL_ID,
    heading: "Live: Figure 6's experiment in your browser",
    intro:
      "ERM, n-SAM and 1-SAM train the diagonal linear network β = u ⊙ v (u₀ = α, v₀ = 0) on sparse regression " +
      "(n = 20, d = 30, r = 3) with this repository's own code, bundled for the browser. Move a slider and the three " +
      "runs of 10⁴ iterations start again; the curves are the train and test loss against the iterations.",
    script: await bundleLivePanel(root),
  };
}
