import type { Command } from "commander";
import { reportsDir } from "@sam-repro/runner";
import { buildReport } from "./report.js";

/** `sam-repro report [--dir <reports>]`: rebuilds reports/REPORT.md and reports/index.html. */
export function registerCommands(program: Command): void {
  program
    .command("report")
    .description("collect every figure under reports/ into reports/REPORT.md and the self-contained reports/index.html")
    .option("--dir <directory>", "reports directory (env SAM_REPRO_REPORTS_DIR; default <workspace>/reports)")
    .action(async (options: { dir?: string }) => {
      const started = performance.now();
      const summary = await buildReport(options.dir ?? reportsDir());
      const { counts } = summary;
      process.stdout.write(
        `${summary.figures} figures, ${summary.claims} claims: ${counts.holds} hold, ${counts["does not hold"]} do not hold, ${counts.inconclusive} inconclusive, ${counts["not run"]} not run\n` +
          `wrote ${summary.markdownFile}\nwrote ${summary.htmlFile}\n` +
          `(${((performance.now() - started) / 1000).toFixed(2)} s)\n`,
      );
    });
}
