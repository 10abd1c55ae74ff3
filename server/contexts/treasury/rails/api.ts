// What the tRPC routers, the webhook route and the workers may import from rails, revenue,
// anomalies and reconciliation (ADR 0011).
export { checkBurn } from "./check-burn";
export { checkVelocity } from "./check-velocity";
export { type ClaimResult, claimPayout } from "./claim-payout";
export { defaultPayoutLimits, type PayoutLimits } from "./payout-rows";
export { type PayoutRound, processDuePayouts } from "./process-payouts";
export {
  type PayoutRequest,
  type RailAdapter,
  RailError,
  type RailName,
  type RailPayout,
  type StatementLine,
} from "./rail";
export { type ReceiptView, receiveSandboxPayment, type SandboxPaymentInput } from "./receive-sandbox-payment";
export { reconcileDuePortfolios } from "./reconcile-due";
export {
  getReconciliation,
  listReconciliations,
  type ReconciliationMismatchView,
  type ReconciliationView,
} from "./reconciliation-view";
export { recordRevenue } from "./record-revenue";
export { runReconciliation } from "./run-reconciliation";
export { createSandboxRail, type SandboxRail, type SandboxRailSettings } from "./sandbox-rail";
export { createRails, type Rails, type TreasurySettings, treasurySettingsFromEnv } from "./settings";
export { createStripeRail, type StripeRailSettings } from "./stripe-rail";
export { handleStripeWebhook, type WebhookAnswer } from "./stripe-webhook";
export { type PayoutContext, submitPayout } from "./submit-payout";
export { type VoidPayoutOptions, voidPayout } from "./void-payout";
