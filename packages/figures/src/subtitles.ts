/**
 * Subtitles of several lines: the house builders take one subtitle string, and a long one-line subtitle makes a
 * figure as wide as its text. Pure: spec in, spec out.
 */
import type { Spec } from "./style.js";

/**
 * Sets the spec's subtitle to several lines and lets legend labels run to 420 px (curve labels that carry
 * formulas would be cut at the house legend's 280 px).
 */
export function withSubtitleLines(spec: Spec, lines: string[]): Spec {
  const title = spec.title;
  const text = typeof title === "string" ? title : (title as { text: string }).text;
  const config = (spec.config ?? {}) as Spec;
  const legend = (config.legend ?? {}) as Spec;
  return { ...spec, title: { text, subtitle: lines }, config: { ...config, legend: { ...legend, labelLimit: 420 } } };
}

/**
 * Breaks subtitle lines longer than `width` characters after a ", " or " | " (a piece longer than the width is
 * kept whole).
 */
export function wrapLines(lines: readonly string[], width = 110): string[] {
  return lines.flatMap((line) => {
    const wrapped: string[] = [];
    let current = "";
    for (const piece of line.split(/(?<=, |\| )/)) {
      if (current && (current + piece).trimEnd().length > width) {
        wrapped.push(current.trimEnd());
        current = "";
      }
      current += piece;
    }
    if (current.trim()) wrapped.push(current.trimEnd());
    return wrapped;
  });
}
