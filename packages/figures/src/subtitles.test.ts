import { describe, expect, test } from "@jest/globals";
import { wrapLines } from "./subtitles.js";

describe("wrapLines", () => {
  test("breaks long lines after ', ' or '| ' without losing text; short lines stay", () => {
    const long = Array.from({ length: 30 }, (_, i) => `part ${i}`).join(", ") + " | second panel, more";
    const wrapped = wrapLines(["short line", long], 40);
    expect(wrapped[0]).toBe("short line");
    for (const line of wrapped) expect(line.length).toBeLessThanOrEqual(40);
    expect(wrapped.slice(1).join(" ")).toBe(long);
  });
  test("a single piece longer than the width is kept whole", () => {
    const piece = "x".repeat(50);
    expect(wrapLines([piece], 10)).toEqual([piece]);
  });
});
