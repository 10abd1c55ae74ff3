// Resume (CTRL-003): explicit, with a reason, audited by its event. Gates do not reopen on the
// announcement alone: each re-reads PostgreSQL and reopens when it sees `running` there.
import { type ControlChangeOptions, type ControlChangeResult, changeControlState } from "./change-state";
import { decideResume } from "./control-state";

/**
 * Records control.resumed and projects it, then announces it. Resuming what runs changes nothing
 * (changed: false). Authorization is the caller's: founder or admin (never an auditor).
 */
export function resume(options: ControlChangeOptions): Promise<ControlChangeResult> {
  return changeControlState(options, decideResume);
}
