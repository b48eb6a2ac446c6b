import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import path from "node:path";
import { afterAll, describe, expect, test } from "@jest/globals";
import { InputError, acquireDirectoryLock } from "@sam-repro/runner";
import { readFigures } from "./report-data.js";
import { renderSvg, svgToPng } from "./render.js";
import { X_TITLE, Y_TITLE, sampleFigure, temporaryReports } from "./test-figures.js";
import { FIGURE_FILES, MANIFEST_FILE, figureDirectoryProblem, writeFigure } from "./write-figure.js";

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

  test("a fault between the two renames leaves no mixed directory; the next write recovers whole", async () => {
    const old = sampleFigure("swap", "Figure 1", ["holds"]);
    await writeFigure(old, directory);
    const fresh = { ...sampleFigure("swap", "Figure 1", ["does not hold"]), data: { fresh: true } };
    await expect(
      writeFigure(fresh, directory, {
        betweenRenames: () => {
          throw new Error("injected fault");
        },
      }),
    ).rejects.toThrow("injected fault");
    // The old figure was moved aside, the new one not moved in: `report` sees no figure "swap", not a mix.
    expect(existsSync(path.join(directory, "swap"))).toBe(false);
    expect(readFigures(directory).map((entry) => entry.meta.id)).not.toContain("swap");
    expect(readdirSync(directory).filter((name) => name.startsWith(".swap."))).toHaveLength(2); // .new-* and .old-*
    // The lock was released; the next writer removes the leftovers and writes the whole new figure.
    await writeFigure(fresh, directory);
    expect(readdirSync(directory).filter((name) => name.startsWith(".swap"))).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(directory, "swap", "claims.json"), "utf8"))[0].verdict).toBe("does not hold");
    expect(JSON.parse(readFileSync(path.join(directory, "swap", "data.json"), "utf8"))).toEqual({ fresh: true });
    expect(figureDirectoryProblem(path.join(directory, "swap"))).toBeNull();
  });

  test("the manifest names every file's sha256; report refuses a mixed directory", async () => {
    const figureDirectory = await writeFigure(sampleFigure("mixed", "Figure 1", ["holds"]), directory);
    const manifest = JSON.parse(readFileSync(path.join(figureDirectory, MANIFEST_FILE), "utf8"));
    expect(Object.keys(manifest.files).sort()).toEqual([...FIGURE_FILES].sort());
    // A data.json from another run beside this run's claims.json: what renaming file by file could leave.
    writeFileSync(path.join(figureDirectory, "data.json"), JSON.stringify({ other: "run" }));
    expect(figureDirectoryProblem(figureDirectory)).toMatch(/data\.json does not match/);
    expect(() => readFigures(directory)).toThrow(InputError);
    expect(() => readFigures(directory)).toThrow(/mixed.*run it again/);
    rmSync(figureDirectory, { recursive: true });
  });

  test("a figure directory has one writer: a second is refused with the holder named, and nothing is written", async () => {
    const lock = acquireDirectoryLock(path.join(directory, "busy"), "another reproduce");
    try {
      await expect(writeFigure(sampleFigure("busy", "Figure 1", ["holds"]), directory)).rejects.toThrow(/in use by pid \d+ .*another reproduce/);
      expect(existsSync(path.join(directory, "busy"))).toBe(false);
    } finally {
      lock.release();
    }
  });

  test("a writer killed with SIGKILL mid-write leaves the old figure or none, and the next write succeeds", async () => {
    await writeFigure(sampleFigure("killed", "Figure 1", ["holds"]), directory);
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
    const script = path.join(directory, "writer.mjs");
    const module = pathToFileURL(path.join(import.meta.dirname, "write-figure.ts")).href;
    const fixtures = pathToFileURL(path.join(import.meta.dirname, "test-figures.ts")).href;
    // The child pauses between the renames (a busy wait) so the kill lands exactly there.
    writeFileSync(
      script,
      `const { writeFigure } = await import(${JSON.stringify(module)});
const { sampleFigure } = await import(${JSON.stringify(fixtures)});
await writeFigure(sampleFigure("killed", "Figure 1", ["does not hold"]), process.argv[2], {
  betweenRenames: () => { console.log("between"); const end = Date.now() + 60000; while (Date.now() < end); },
});`,
    );
    const child = spawn(process.execPath, ["--conditions=@sam-repro/source", "--import", tsx, script, directory], { env: { ...process.env, NODE_OPTIONS: "" } });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("between") && resolve());
      child.on("exit", (code) => reject(new Error(`writer exited (${code}) before the renames`)));
    });
    child.kill("SIGKILL");
    await new Promise((resolve) => child.on("exit", resolve));
    expect(existsSync(path.join(directory, "killed"))).toBe(false);
    expect(readFigures(directory).map((entry) => entry.meta.id)).not.toContain("killed");
    await writeFigure(sampleFigure("killed", "Figure 1", ["holds"]), directory); // the dead writer's lock is stale
    expect(figureDirectoryProblem(path.join(directory, "killed"))).toBeNull();
    rmSync(script);
  }, 120_000);
});
