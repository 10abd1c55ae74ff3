// What the tRPC routers, other contexts and scripts may import from treasury funding (ADR 0012).
export { allocateBudget, allocationCategory, allocationCounterparty } from "./allocate-budget";
export {
  type AllocationStatus,
  type AllocationSummary,
  type AllocationView,
  getAllocation,
  listAllocations,
} from "./allocation-view";
export type { DepositView } from "./deposit-view";
export { maxFundingMinor, parseAllocationInput, parseDepositInput } from "./funding-input";
export { listDeposits } from "./list-deposits";
export { recordDeposit } from "./record-deposit";
export { settleAllocationIfAny } from "./settle-allocation";
