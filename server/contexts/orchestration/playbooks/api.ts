// What the tRPC routers and the orchestrator worker may import from scale-up playbooks (ORCH-008,
// UJ-6, ADR 0017): configure and read a venture's playbook, check and fire the armed ones, and
// apply what became of a run's budget increase.
export { type AppliedOutcome, applyScaleUpIntentOutcome, type IntentOutcome } from "./apply-intent-outcome";
export { checkScaleUpPlaybooks, type FireOutcome, firePlaybookIfDue } from "./fire-playbook";
export {
  getScaleUpPlaybook,
  listScaleUpRuns,
  type ScaleUpPlaybookView,
  type ScaleUpRunView,
} from "./get-playbook";
export type { ScaleUpRunStatus } from "./playbook-rules";
export { setScaleUpPlaybook } from "./set-playbook";
