export { buildProgram } from "./program.js";
export { commandModules, reproduceModules, type CommandModule, type CommandModuleEntry, type ReproduceModule } from "./commands.js";
export { allFigureSettings, generateSchemaFiles, withSchemaReference, writeSchemas, type SchemaChanges } from "./config-schemas.js";
