// The parity tools' tests (tools/peer/*.test.ts): pure TypeScript, no torch and no CIFAR-10 needed.
import { packageJestConfig } from "../../jest.preset.js";
export default { ...packageJestConfig(import.meta.dirname), displayName: "peer", testMatch: ["<rootDir>/*.test.ts"] };
