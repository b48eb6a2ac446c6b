/**
 * Text for people, shared by REPORT.md and index.html: numbers to at most 3 significant digits, "diverged"
 * instead of NaN / Infinity, and no references to documents that are not in the repository (the spec the
 * code follows, the notebooks' panel codes). Pure string functions; the figures' data is never changed.
 */

/** A finite number to at most 3 significant digits ("0.00123", "66.1", "1.2e-25"); integers as they are. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "diverged";
  if (!Number.isFinite(value)) return value > 0 ? "diverged (∞)" : "diverged (−∞)";
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  const rounded = Number(value.toPrecision(3));
  const magnitude = Math.abs(rounded);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return rounded.toExponential().replace(/\.?0+e/, "e").replace("e+", "e");
  return String(rounded);
}

// A decimal number standing alone (or a ratio "12.5x", or the end of a range "1.5..2.25"): not part of a version
// ("4.22.0"), an identifier ("w8") or a longer number.
const DECIMAL = /(?<!\w)(?<!(?<!\.)\.)(\d+\.\d+)(e[+-]?\d+)?(?=x\b|[^\w.]|\.(?!\d)|$)/g;

/** Rounds every stand-alone decimal number in `text` that has more than 3 significant digits to 3. */
export function roundNumbersInText(text: string): string {
  return text.replace(DECIMAL, (whole: string, mantissa: string, exponent: string | undefined) => {
    if (Number(whole) === 0) return "0";
    const digits = mantissa.replace(".", "").replace(/^0+/, "");
    if (digits.length <= 3) return whole;
    const rounded = Number(mantissa).toPrecision(3);
    return `${rounded.includes("e") ? String(Number(rounded)) : rounded}${exponent ?? ""}`;
  });
}

/** "NaN", "Infinity", "Inf" as values become "diverged"; "diverged (NaN/Inf)" loses the parenthesis. */
export function divergedInText(text: string): string {
  return text
    .replace(/\s*\((?:NaN|Inf)\s*\/\s*(?:NaN|Inf)\)/g, "")
    .replace(/\(NaN\)/g, "(diverged)")
    .replace(/(?<![\w.])[-+]?(?:NaN|Infinity|Inf)(?:x|%)?(?![\w])/g, "diverged");
}

/**
 * Removes references to the internal spec ("SPEC 2.4", "SPEC 0.2/3.5", "SPEC 5.A6"), to notebook panel codes
 * ("notebook D4", "(D5)") and "candidate for Fig. N" guesses: inside parentheses the referring parts are dropped
 * (and the parenthesis when nothing is left), elsewhere "SPEC x.y's" becomes "the".
 */
export function withoutInternalReferences(text: string): string {
  const reference = /\bSPEC\s+[\dA-Z][\w.]*(?:\s*(?:\/|,|and)\s*[\dA-Z][\w.]*)*|\bnotebook\s+D\d(?:\s*(?:and|,|\/)\s*D\d)*|^\s*D\d(?:\s*(?:and|,|\/)\s*D\d)*\s*$|\bcandidate for\b/i;
  let result = text.replace(/\(([^()]*)\)/g, (whole: string, inner: string) => {
    if (!reference.test(inner) && !/^D\d:/.test(inner)) return whole;
    const kept = inner
      .split(/\s*[;,]\s*/)
      .map((part) => part.replace(/^D\d:\s*/, ""))
      .filter((part) => part.trim() !== "" && !reference.test(part))
      .map((part) => part.replace(/\b(?:UNCERTAIN|uncertain) in\s*$/, "uncertain").trim());
    return kept.length > 0 ? `(${kept.join(", ")})` : "";
  });
  result = result
    .replace(/\bSPEC\s+[\dA-Z][\w.]*(?:\/[\dA-Z][\w.]*)*'s\s+/g, "the ")
    .replace(/[,;]?\s*\bSPEC\s+[\dA-Z][\w.]*(?:\s*(?:\/|,)\s*[\dA-Z][\w.]*)*/g, "")
    .replace(/[,;]?\s*\bnotebook\s+D\d(?:\s*(?:and|,|\/)\s*D\d)*/g, "")
    .replace(/\s+\(\s*\)/g, "")
    .replace(/\s{2,}/g, " ")
    .replace(/\s+([.,;:])/g, "$1");
  return result.trim();
}

/** Everything a reader sees as prose: internal references removed, divergence named, numbers rounded. */
export function forReaders(text: string): string {
  return roundNumbersInText(divergedInText(withoutInternalReferences(text)));
}

/** A claim value for a table cell: numbers to 3 significant digits, null as an em dash, text for readers. */
export function formatValue(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return formatNumber(value);
  return forReaders(value);
}

/** Every string inside a JSON value made readable (setup blocks): references removed, numbers untouched. */
export function readableJson(value: unknown): unknown {
  if (typeof value === "string") return divergedInText(withoutInternalReferences(value));
  if (Array.isArray(value)) return value.map(readableJson);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, readableJson(inner)]));
  }
  return value;
}
