// What other contexts, the tRPC routers and scripts may import from money intents.
export { approveIntent } from "./approve-intent";
export { allowCounterparty, counterpartyAllowlist } from "./counterparties";
export { budgetAccountId, createIntent } from "./create-intent";
export type { DecideOptions } from "./decide-intent";
export { denyIntent } from "./deny-intent";
export { expireIntents } from "./expire-intents";
export {
  describeFreeze,
  type FreezeView,
  freezesFor,
  freezeTreasury,
  freezeTreasuryAutomatically,
  listFreezes,
  unfreezeTreasury,
} from "./freezes";
export { moneyIntentCategories, parseMoneyIntentInput } from "./intent-input";
export {
  internalIntentCategories,
  lockIntentForSettlement,
  recordIntentSettled,
  recordIntentSettlementFailed,
  recordSettlementSubmitted,
  type SettlingIntent,
} from "./intent-settlement";
export {
  getIntent,
  type IntentSettlementView,
  listIntents,
  type MoneyIntentStatus,
  type MoneyIntentView,
} from "./intent-view";
