import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, test } from "@jest/globals";
import { InputError } from "@sam-repro/runner";
import { renderSvg, svgToPng } from "./render.js";
import { X_TITLE, Y_TITLE, sampleFigure, temporaryReports } from "./test-figures.js";
import { FIGURE_FILES, writeFigure } from "./write-figure.js";

const directory = temporaryReports();
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe("writeFigure", () => {
  test("writes the six files, with marks and axis titles in the SVG and a PNG of twice its size", async () => {
    const output = { ...sampleFigure("sample-a", "Figure 1", ["holds", "does not hold"]), backend: "cpu (test)" };
    const figureDirectory = await writeFigure(output, directory);
    expect(figureDirectory).toBe(path.join(directory, "sample-a"));
    for (const file of FIGURE_FILES) expect(readFileSync(path.join(figureDirectory, file)).length).toBeGreaterThan(0);

    const svg = readFileSync(path.join(figureDirectory, "figure.svg"), "utf8");
    expect(svg).toMatch(/class="mark-line role-mark[^"]*"[^>]*><path [^>]*d="M/);
    expect(svg).toMatch(/class="mark-symbol role-mark[^"]*"[^>]*><path /);
    expect(svg).toContain(`>${X_TITLE}</text>`);
    expect(svg).toContain(`>${Y_TITLE}</text>`);
    expect(svg).toContain("DejaVu Sans");

    const png = readFileSync(path.join(figureDirectory, "figure.png"));
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const svgWidth = Number(/<svg[^>]* width="([\d.]+)"/.exec(svg)![1]);
    const svgHeight = Number(/<svg[^>]* height="([\d.]+)"/.exec(svg)![1]);
    expect(png.readUInt32BE(16)).toBe(Math.round(svgWidth * 2)); // IHDR width
    expect(png.readUInt32BE(20)).toBe(Math.round(svgHeight * 2)); // IHDR height

    const claims = JSON.parse(readFileSync(path.join(figureDirectory, "claims.json"), "utf8"));
    expect(claims).toEqual(output.claims);
    const meta = JSON.parse(readFileSync(path.join(figureDirectory, "meta.json"), "utf8"));
    expect(meta).toMatchObject({ id: "sample-a", paperFigure: "Figure 1", profile: "smoke", wallSeconds: 1.5, backend: "cpu (test)" });
    expect(meta.machine.cpuCount).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(meta.date))).toBe(false);
    expect(typeof meta.commit).toBe("string");
    const spec = JSON.parse(readFileSync(path.join(figureDirectory, "spec.vl.json"), "utf8"));
    expect(spec.data.values.length).toBeGreaterThan(0);
  });

  test("the same figure gives byte-identical SVG and PNG, whatever was rendered before", async () => {
    const first = await writeFigure(sampleFigure("same-1", "Figure 2", ["holds"]), directory);
    await renderSvg(sampleFigure("other", "Figure 3", []).spec); // moves vega's id counters
    const second = await writeFigure({ ...sampleFigure("same-1", "Figure 2", ["holds"]), id: "same-2" }, directory);
    for (const file of ["figure.svg", "figure.png", "spec.vl.json", "data.json", "claims.json"]) {
      expect(readFileSync(path.join(second, file)).equals(readFileSync(path.join(first, file)))).toBe(true);
    }
  });

  test("text is drawn in the PNG (the DejaVu fonts are loaded)", async () => {
    const svg = await renderSvg(sampleFigure("text", "Figure 1", []).spec);
    const withoutText = svg.replace(/<text[^>]*>[^<]*<\/text>/g, "");
    expect(withoutText.length).toBeLessThan(svg.length);
    expect(svgToPng(svg).equals(svgToPng(withoutText))).toBe(false);
  });

  test("bad ids, verdicts and profiles are InputErrors that name the field", async () => {
    await expect(writeFigure({ ...sampleFigure("ok", "Figure 1", []), id: "Bad Id" }, directory)).rejects.toThrow(InputError);
    const badVerdict = sampleFigure("bad-verdict", "Figure 1", ["holds"]);
    (badVerdict.claims[0] as { verdict: string }).verdict = "maybe";
    await expect(writeFigure(badVerdict, directory)).rejects.toThrow(/claims\.0\.verdict "maybe"/);
    await expect(writeFigure({ ...sampleFigure("bad-profile", "Figure 1", []), profile: "gpu" as never }, directory)).rejects.toThrow(/profile "gpu"/);
  });
});
