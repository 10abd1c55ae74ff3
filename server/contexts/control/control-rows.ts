// Reading the control_state row, with the lock each caller needs. Raw SQL: it is on the hot path
// of every tool call and money intent (assertNotPaused), where Prisma's query compiler costs more
// than the query (server/shared/db.ts).
import type { Db, Tx } from "@/server/shared/db";
import { AppError, invariant } from "@/server/shared/errors";
import { actorTypes } from "@/server/shared/events/envelope";
import { type ControlScope, type ControlStateView, controlStates } from "./control-state";

type Row = {
  scope: string;
  state: string;
  epoch: number;
  since: Date;
  by_type: string;
  by_id: string;
  by_name: string;
  reason: string;
  source: string;
};

const locks = { none: "", share: "FOR SHARE", update: "FOR UPDATE" } as const;

export type ControlSnapshot = { view: ControlStateView; source: string };

/**
 * The state of a scope and the database it was read from (announcements name it, so a gate only
 * believes announcements about its own database). A missing row is UNAVAILABLE: callers on the
 * safety path then fail closed.
 */
export async function selectControlState(
  db: Db | Tx,
  lock: keyof typeof locks,
  scope: ControlScope = "global",
): Promise<ControlSnapshot> {
  const rows = await db.$queryRawUnsafe<Row[]>(
    `SELECT scope, state, epoch, since, by_type, by_id, by_name, reason, current_database() AS source
       FROM control_state WHERE scope = $1 ${locks[lock]}`,
    scope,
  );
  const row = rows[0];
  if (!row) {
    throw new AppError(
      "UNAVAILABLE",
      `The kill-switch state (${scope}) cannot be read: treating it as paused`,
    );
  }
  // Assert after the read (STYLE 8): the migration's trigger keeps these values valid.
  invariant((controlStates as readonly string[]).includes(row.state), `control_state.state ${row.state}`);
  invariant((actorTypes as readonly string[]).includes(row.by_type), `control_state.by_type ${row.by_type}`);
  return {
    view: {
      scope: row.scope as ControlScope,
      state: row.state as ControlStateView["state"],
      epoch: row.epoch,
      since: row.since,
      by: { type: row.by_type as ControlStateView["by"]["type"], id: row.by_id, name: row.by_name },
      reason: row.reason,
    },
    source: row.source,
  };
}
