// What other contexts, workers and scripts may import from the kill-switch context.
//
// Treasury and the tool gateway call assertNotPaused(tx) inside the transaction that would approve
// an intent or run a tool; the policy context's `paused` flag comes from lockControlState(tx).
// Workers read the state through readControlSnapshot() (their gate's lease) and report their
// confirmations through recordConfirmation().
export { assertNotPaused, lockControlState } from "./assert-not-paused";
export type { ControlChangeOptions, ControlChangeResult } from "./change-state";
export type { ControlSnapshot } from "./control-rows";
export { type ControlStateName, type ControlStateView, describePause, reasonSchema } from "./control-state";
export {
  type ControlAnnouncement,
  type ControlConfirmation,
  type ControlFanout,
  confirmationSchema,
  controlNames,
  createControlFanout,
  type FanoutReport,
  fromAnnouncement,
  parseAnnouncement,
} from "./fanout";
export { getControlState, readControlSnapshot } from "./get-control-state";
export { type ConfirmationsView, listConfirmations } from "./list-confirmations";
export { type OpenedControlFanout, openControlFanout } from "./open-fanout";
export { pause } from "./pause";
export { recordConfirmation } from "./record-confirmation";
export { resume } from "./resume";
