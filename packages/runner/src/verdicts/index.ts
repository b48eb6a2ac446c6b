export { studentTCdf, studentTQuantile } from "./student-t.js";
export { holmRejections, oneSidedPValue, pairedDifferences, pairedStatistics, tostPValue, type PairedStatistics } from "./paired.js";
export {
  VERDICTS,
  claimRuleSchema,
  describeRule,
  judgeAll,
  judgeFraction,
  judgePaired,
  judgeThreshold,
  thresholdValue,
  type ClaimRule,
  type FractionRule,
  type Judgement,
  type PairedComparison,
  type PairedRule,
  type ThresholdRule,
  type Verdict,
} from "./rules.js";
export { declaredRule, judgedClaim, notRunClaim, type JudgedClaim } from "./claims.js";
export { describeErrors, formatSignificant, percent, percentagePoints, seedsSchema, summarize, type Summary } from "./summary.js";
export { logLogSlope } from "./log-log-slope.js";
