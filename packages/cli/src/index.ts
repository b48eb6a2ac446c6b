export { buildProgram } from "./program.js";
export { commandModules, type CommandModule } from "./commands.js";
