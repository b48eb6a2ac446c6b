/**
 * The style sheet and the page script of reports/index.html (plain ES2017 text, inlined as a classic script:
 * ES modules do not load from file://). The script renders each chart with vega-embed (SVG, formatted
 * tooltips, export / source actions, the CSP-safe expression interpreter) and implements the verdict filter.
 */

export const PAGE_STYLE = `
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 0; color: #222; line-height: 1.45; background: #fff; }
a { color: #1f5fbf; }
header.page { padding: 1rem 1.5rem 0.6rem; border-bottom: 1px solid #ddd; }
header.page h1 { font-size: 1.45rem; margin: 0 0 0.4rem; }
.links a { margin-right: 0.4rem; }
.layout { display: flex; align-items: flex-start; }
nav.toc { position: sticky; top: 0; flex: none; width: 15.5rem; max-height: 100vh; overflow-y: auto; padding: 0.8rem 1rem 2rem; border-right: 1px solid #ddd; font-size: 0.84rem; }
nav.toc h2 { font-size: 0.95rem; margin: 0.4rem 0; border: none; padding: 0; }
nav.toc ol { list-style: none; padding: 0; margin: 0.4rem 0; }
nav.toc summary { cursor: pointer; color: #444; }
nav.toc a[aria-current="true"] { font-weight: bold; color: #111; }
nav.toc li { margin: 0.35rem 0; }
nav.toc li a { display: block; }
.filter { display: flex; flex-wrap: wrap; gap: 0.3rem; margin: 0.3rem 0 0.6rem; }
.filter button { font: inherit; font-size: 0.8rem; border: 1px solid #aaa; background: #f6f6f6; border-radius: 1rem; padding: 0.1rem 0.6rem; cursor: pointer; }
.filter button[aria-pressed="true"] { background: #222; color: #fff; border-color: #222; }
.counts { display: inline-flex; flex-wrap: wrap; gap: 0.25rem; font-size: 0.75rem; }
.badge { border-radius: 0.6rem; padding: 0 0.45rem; white-space: nowrap; }
.badge.holds { background: #dcf1dc; } .badge.does-not-hold { background: #f8d9d9; } .badge.inconclusive { background: #fbefc9; } .badge.not-run { background: #e9e9e9; }
main { flex: 1; min-width: 0; max-width: 1240px; padding: 0 1.5rem 3rem; }
h2 { font-size: 1.2rem; margin-top: 2.2rem; border-top: 1px solid #ccc; padding-top: 1rem; }
.kind { font-style: italic; color: #444; margin: 0.2rem 0; }
.meta { color: #555; font-size: 0.85rem; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.88rem; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; overflow-wrap: break-word; }
td[class^="verdict-"], th { white-space: nowrap; }
th { background: #f3f3f3; }
td.verdict-holds { background: #e7f5e7; } td.verdict-does-not-hold { background: #fbe3e3; } td.verdict-inconclusive { background: #fdf3d6; } td.verdict-not-run { background: #f0f0f0; }
.derivation { font-size: 0.78rem; color: #6a4c00; white-space: nowrap; }
pre { background: #f7f7f7; padding: 0.6rem; overflow-x: auto; font-size: 0.8rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.chart { margin: 1rem 0; overflow-x: auto; max-width: 100%; }
.chart-error { color: #b00; white-space: pre-wrap; }
.files { font-size: 0.85rem; }
.live-controls { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 0.5rem 1.2rem; margin: 0.8rem 0; }
.live-controls label { display: block; font-size: 0.88rem; }
.live-controls button { font: inherit; font-size: 0.85rem; justify-self: start; align-self: center; padding: 0.2rem 0.7rem; }
.live-controls input[type=range] { width: 100%; }
.live-status { font-size: 0.85rem; color: #444; }
[hidden] { display: none !important; }
@media (max-width: 960px) {
  .layout { display: block; }
  nav.toc { position: static; width: auto; max-height: none; border-right: none; border-bottom: 1px solid #ddd; }
  main { padding: 0 0.8rem 2rem; }
  header.page { padding: 0.8rem; }
}
@media (max-width: 700px) {
  table.claims thead { display: none; }
  table.claims, table.claims tbody, table.claims tr, table.claims td { display: block; width: 100%; }
  table.claims tr { border: 1px solid #ccc; margin-bottom: 0.6rem; }
  table.claims td { border: none; border-bottom: 1px solid #eee; }
  table.claims td::before { content: attr(data-label) ": "; font-weight: bold; }
}
`;

/** Renders the charts whose ids are given and wires the verdict filter; failures show in the page and on the console. */
export function pageScript(chartIds: readonly string[]): string {
  return `(function () {
  "use strict";
  var ids = ${JSON.stringify(chartIds)};
  ids.forEach(function (id) {
    var target = document.getElementById("chart-" + id);
    var spec = JSON.parse(document.getElementById("spec-" + id).textContent);
    var options = {
      renderer: "svg",
      ast: true,
      downloadFileName: id,
      actions: { export: { svg: true, png: true }, source: true, compiled: false, editor: false }
    };
    vegaEmbed(target, spec, options).then(function () {
      target.setAttribute("data-rendered", "true");
    }).catch(function (error) {
      console.error("figure " + id + ": " + error);
      target.className += " chart-error";
      target.textContent = "This figure failed to render: " + error;
    });
  });

  // On a narrow screen the contents start folded, so the report itself comes first.
  var list = document.querySelector("nav.toc details.toc-list");
  if (list && window.matchMedia && window.matchMedia("(max-width: 960px)").matches) list.open = false;

  // The contents mark the section being read.
  var links = {};
  Array.prototype.forEach.call(document.querySelectorAll('nav.toc a[href^="#"]'), function (link) {
    links[link.getAttribute("href").slice(1)] = link;
  });
  if (window.IntersectionObserver) {
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        var link = links[entry.target.id];
        if (!link || !entry.isIntersecting) return;
        Object.keys(links).forEach(function (id) { links[id].removeAttribute("aria-current"); });
        link.setAttribute("aria-current", "true");
      });
    }, { rootMargin: "0px 0px -70% 0px" });
    Object.keys(links).forEach(function (id) {
      var section = document.getElementById(id);
      if (section) observer.observe(section);
    });
  }

  var buttons = Array.prototype.slice.call(document.querySelectorAll("button[data-filter]"));
  var status = document.getElementById("filter-status");
  function applyFilter(verdict) {
    var all = verdict === "all";
    Array.prototype.forEach.call(document.querySelectorAll("tr[data-verdict]"), function (row) {
      row.hidden = !all && row.getAttribute("data-verdict") !== verdict;
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-verdicts]"), function (element) {
      element.hidden = !all && (" " + element.getAttribute("data-verdicts") + " ").indexOf(" " + verdict + " ") < 0;
    });
    buttons.forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-filter") === verdict));
    });
    var phrases = { "holds": "hold", "does-not-hold": "do not hold", "inconclusive": "are inconclusive", "not-run": "were not run" };
    if (status) status.textContent = all ? "" : "Showing only the claims that " + phrases[verdict] + ", and their figures.";
  }
  buttons.forEach(function (button) {
    button.addEventListener("click", function () { applyFilter(button.getAttribute("data-filter")); });
  });
})();`;
}
