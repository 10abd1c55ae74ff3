// The current kill-switch state, for pages, the API and worker gates' lease renewal.
import type { Db } from "@/server/shared/db";
import { type ControlSnapshot, selectControlState } from "./control-rows";
import type { ControlStateView } from "./control-state";

export async function getControlState(options: { db: Db }): Promise<ControlStateView> {
  return (await selectControlState(options.db, "none")).view;
}

/** The state and the database it came from, without a lock: a gate's lease renewal. */
export function readControlSnapshot(db: Db): Promise<ControlSnapshot> {
  return selectControlState(db, "none");
}
