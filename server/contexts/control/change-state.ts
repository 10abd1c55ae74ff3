// The one transaction behind pause and resume: lock the control row FOR UPDATE (so it waits for,
// and then excludes, every transaction holding it FOR SHARE through assertNotPaused), decide,
// append the event and update the projection together, commit, then fan out.
//
// Before the row, the table, IN EXCLUSIVE MODE. A row lock alone starves under load: FOR SHARE
// lockers arriving while FOR UPDATE waits are compatible with the holders and are granted ahead of
// it, so with money intents arriving continuously a pause waited 20 s (bench/load.bench.ts). Table
// locks queue fairly: from the moment the pause asks, a new guarded transaction's ROW SHARE lock
// waits behind it, so the pause waits only for the transactions already running. Plain reads
// (ACCESS SHARE: dashboards, the workers' gates) are not blocked.
import { type Clock, systemClock } from "@/server/shared/clock";
import { type Db, withTransaction } from "@/server/shared/db";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { selectControlState } from "./control-rows";
import {
  type ControlCommand,
  type ControlDecision,
  type ControlStateView,
  parseReason,
} from "./control-state";
import { type ControlFanout, type FanoutReport, toAnnouncement } from "./fanout";

export type ControlChangeOptions = {
  db: Db;
  actor: EventActor;
  /** How people read the actor (name or email), shown in the banner. */
  actorName: string;
  correlationId: string;
  reason: string;
  /** Where the committed state is announced; null skips fan-out (gates still see it at their next lease renewal). */
  fanout: ControlFanout | null;
  clock?: Clock;
};

export type ControlChangeResult = {
  state: ControlStateView;
  /** False when the state already was the one asked for: nothing was written. */
  changed: boolean;
  fanout: FanoutReport | null;
};

export async function changeControlState(
  options: ControlChangeOptions,
  decide: (current: ControlStateView, command: ControlCommand) => ControlDecision,
): Promise<ControlChangeResult> {
  // Validate before opening a transaction: bad input writes nothing and names the field.
  const reason = parseReason(options.reason);
  const clock = options.clock ?? systemClock;
  const { decision, source } = await withTransaction(options.db, async (tx) => {
    await tx.$executeRawUnsafe("LOCK TABLE control_state IN EXCLUSIVE MODE");
    const current = await selectControlState(tx, "update");
    const decision = decide(current.view, {
      actor: options.actor,
      actorName: options.actorName,
      reason,
      now: clock.now(),
    });
    if (!decision.changed) return { decision, source: current.source };
    const [event] = await appendEvents(tx, { ...options, clock }, [
      {
        type: decision.event.type,
        stream: { type: "control", id: decision.state.scope },
        expectedVersion: current.view.epoch,
        portfolioId: null,
        payload: decision.event.payload,
      },
    ]);
    const since = new Date(event!.occurredAt);
    const next = { ...decision.state, since };
    await tx.$executeRawUnsafe(
      `UPDATE control_state SET state = $2, epoch = $3, since = $4, by_type = $5, by_id = $6, by_name = $7,
              reason = $8, updated_at = now()
        WHERE scope = $1`,
      next.scope,
      next.state,
      next.epoch,
      next.since,
      next.by.type,
      next.by.id,
      next.by.name,
      next.reason,
    );
    return { decision: { ...decision, state: next }, source: current.source };
  });
  // After commit only: announcing a state that could still roll back would stop or start workers
  // on a fact that never happened. An unchanged state is announced again, which repairs a lost
  // announcement (e.g. Redis restarted) and costs nothing.
  const fanout = options.fanout
    ? await options.fanout.announce(toAnnouncement(decision.state, source))
    : null;
  return { state: decision.state, changed: decision.changed, fanout };
}
