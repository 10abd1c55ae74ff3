// What the tRPC routers, other contexts and scripts may import from portfolio rebalancing (ADR 0016).
export { type RebalancingOverview, rebalancingOverview } from "./rebalancing-overview";
export {
  assessVenture,
  defaultRebalancingRules,
  type RebalancingAdvice,
  type RebalancingRules,
  type Recommendation,
  recommendRebalancing,
  type VentureAssessment,
  type VentureFigures,
} from "./recommendations";
export { settleTransferIfAny, transferEntryId } from "./settle-transfer";
export { transferBudget } from "./transfer-budget";
export { budgetTransferCategory, parseTransferInput, type TransferInput } from "./transfer-input";
export {
  getTransfer,
  listTransfers,
  type TransferStatus,
  type TransferSummary,
  type TransferView,
} from "./transfer-view";
