// The guard other contexts call inside their own transaction before anything that must not happen
// while paused: approving a money intent, running a tool call (SPEC invariant 6).
//
// Race-free by locking: this reads control_state FOR SHARE, and pause/resume update the row (a
// FOR UPDATE lock). A pause that starts while a guarded transaction is open waits for it to commit,
// so that operation happened before the pause; a guarded transaction that starts after a pause
// began waits for the pause to commit and then sees `paused` (READ COMMITTED re-reads the row after
// the wait). Either way no operation commits "inside" a pause. The share lock is held to the end of
// the caller's transaction, so keep guarded transactions short: a pause waits for the longest one.
import type { Tx } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { selectControlState } from "./control-rows";
import { type ControlStateView, describePause } from "./control-state";

/**
 * The kill-switch state, locked FOR SHARE until the caller's transaction ends. For callers that
 * need the state as data (e.g. the policy context's `paused` flag) rather than a refusal.
 * A missing row throws UNAVAILABLE: fail closed.
 */
export async function lockControlState(tx: Tx): Promise<ControlStateView> {
  return (await selectControlState(tx, "share")).view;
}

/** Throws UNPROCESSABLE ("Paused by … since …: reason") while paused; UNAVAILABLE if unreadable. */
export async function assertNotPaused(tx: Tx, what = "This operation"): Promise<void> {
  const state = await lockControlState(tx);
  if (state.state === "paused") {
    throw new AppError("UNPROCESSABLE", `${what} is refused: ${describePause(state)}`, {
      paused: { epoch: state.epoch, since: state.since.toISOString(), by: state.by, reason: state.reason },
    });
  }
}
