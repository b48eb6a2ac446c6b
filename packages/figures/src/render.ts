/**
 * Rendering: vega-lite spec -> vega -> SVG (headless, no canvas) -> PNG (resvg with the DejaVu TTFs,
 * so text renders on a machine without system fonts). Same spec in, byte-identical SVG and PNG out.
 */
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

const require = createRequire(import.meta.url);

/** The DejaVu Sans TTF files shipped by the `dejavu-fonts-ttf` npm package. */
export function dejaVuFontFiles(): string[] {
  const directory = path.join(path.dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
  return readdirSync(directory)
    .filter((name) => /^DejaVuSans(-Bold|-Oblique|-BoldOblique)?\.ttf$/.test(name))
    .sort()
    .map((name) => path.join(directory, name));
}

/** Compiles a vega-lite spec to a vega spec; vega-lite's warnings go to stderr with the figure id. */
export function compileSpec(spec: Record<string, unknown>, label = "figure"): vega.Spec {
  const logger = {
    level: () => logger,
    error: (...args: unknown[]) => {
      throw new Error(`${label}: vega-lite: ${args.join(" ")}`);
    },
    warn: (...args: unknown[]) => {
      process.stderr.write(`${label}: vega-lite warning: ${args.join(" ")}\n`);
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  };
  return compile(spec as unknown as TopLevelSpec, { logger: logger as never }).spec;
}

/** Renders a vega-lite spec to SVG text. Element ids are renumbered so output does not depend on render order. */
export async function renderSvg(spec: Record<string, unknown>, label?: string): Promise<string> {
  const view = new vega.View(vega.parse(compileSpec(spec, label)), { renderer: "none" });
  try {
    return normalizeIds(await view.toSVG());
  } finally {
    view.finalize();
  }
}

/** Rasterizes SVG text to PNG bytes at `scale` times the SVG's size, with the DejaVu fonts only. */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: scale },
    font: { loadSystemFonts: false, fontFiles: dejaVuFontFiles(), defaultFontFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}

// vega numbers clip paths and gradients with a process-wide counter ("clip7"); rename them in order of appearance.
function normalizeIds(svg: string): string {
  const renamed = new Map<string, string>();
  for (const match of svg.matchAll(/\sid="([^"]+)"/g)) {
    const id = match[1]!;
    if (!renamed.has(id)) renamed.set(id, `figure-id-${renamed.size + 1}`);
  }
  if (renamed.size === 0) return svg;
  return svg.replace(/(\sid="|url\(#|href="#)([^")]+)/g, (whole, prefix: string, id: string) => {
    const next = renamed.get(id);
    return next ? `${prefix}${next}` : whole;
  });
}
