// One jest run over every package, with one summary line at the end ("N passed, N failed").
export default {
  projects: ["<rootDir>/packages/*/jest.config.js", "<rootDir>/tools/peer/jest.config.js"],
  reporters: ["default", "<rootDir>/scripts/summary-reporter.cjs"],
  testTimeout: 120000,
};
