// The kill-switch's domain rules, pure: the state, the command validation and the decisions for
// pause and resume. Time and actors come in through the command (STYLE 3).
import { z } from "zod";
import { AppError } from "@/server/shared/errors";
import type { ControlScope } from "@/server/shared/events/catalog/control";
import type { ActorType, EventActor } from "@/server/shared/events/envelope";

export type { ControlScope };

export const controlStates = ["running", "paused"] as const;
export type ControlStateName = (typeof controlStates)[number];

export type ControlStateView = {
  scope: ControlScope;
  state: ControlStateName;
  /** Version of the control/<scope> event stream; +1 on every pause or resume. */
  epoch: number;
  /** When the current state began. */
  since: Date;
  by: { type: ActorType; id: string; name: string };
  reason: string;
};

export const reasonMinLength = 3;
export const reasonMaxLength = 500;

/** One rule for a reason, shared by the tRPC input, the HTTP API and the use-cases (CLI). */
export const reasonSchema = z
  .string({ error: "a reason is required" })
  .trim()
  .min(reasonMinLength, `give a reason of at least ${reasonMinLength} characters`)
  .max(reasonMaxLength, `at most ${reasonMaxLength} characters`);

export type ControlCommand = {
  actor: EventActor;
  /** How people read the actor (name or email); shown in the banner. */
  actorName: string;
  reason: string;
  now: Date;
};

export type ControlDecision =
  | { changed: false; state: ControlStateView }
  | {
      changed: true;
      event: {
        type: "control.paused" | "control.resumed";
        payload: { scope: ControlScope; epoch: number; reason: string };
      };
      state: ControlStateView;
    };

/** Validates a reason; bad input is BAD_REQUEST naming the field, before anything is written. */
export function parseReason(raw: unknown): string {
  const parsed = reasonSchema.safeParse(raw);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? "invalid";
    throw new AppError("BAD_REQUEST", `Invalid input: reason: ${message}`, { fields: { reason: message } });
  }
  return parsed.data;
}

function decide(
  current: ControlStateView,
  target: ControlStateName,
  command: ControlCommand,
): ControlDecision {
  const reason = parseReason(command.reason);
  // Pausing what is paused (or resuming what runs) is a no-op, not an error: a retried request or
  // a second click must not fail, and must not add an event that changes nothing.
  if (current.state === target) return { changed: false, state: current };
  const epoch = current.epoch + 1;
  return {
    changed: true,
    event: {
      type: target === "paused" ? "control.paused" : "control.resumed",
      payload: { scope: current.scope, epoch, reason },
    },
    state: {
      scope: current.scope,
      state: target,
      epoch,
      since: command.now,
      by: { type: command.actor.type, id: command.actor.id, name: command.actorName },
      reason,
    },
  };
}

export function decidePause(current: ControlStateView, command: ControlCommand): ControlDecision {
  return decide(current, "paused", command);
}

export function decideResume(current: ControlStateView, command: ControlCommand): ControlDecision {
  return decide(current, "running", command);
}

/** "Paused by Ada Founder since 2026-11-27T10:00:00.000Z: supplier incident". */
export function describePause(state: Pick<ControlStateView, "by" | "since" | "reason">): string {
  return `Paused by ${state.by.name} since ${state.since.toISOString()}: ${state.reason}`;
}
