import { z } from "zod";
import { controlStates, reasonSchema } from "@/server/contexts/control/control-state";
import { controlScopes } from "@/server/shared/events/catalog/control";
import { actorTypes } from "@/server/shared/events/envelope";

export const controlStateOutput = z.object({
  scope: z.enum(controlScopes),
  state: z.enum(controlStates),
  epoch: z.number().int(),
  since: z.date(),
  by: z.object({ type: z.enum(actorTypes), id: z.string(), name: z.string() }),
  reason: z.string(),
});

const fanoutOutcome = z.enum(["ok", "failed"]);

export const controlChangeOutput = z.object({
  state: controlStateOutput,
  /** False when the state already was the one asked for: nothing was recorded. */
  changed: z.boolean(),
  /** How the announcement went; gates that missed it see the change at their next lease renewal. */
  fanout: z.object({ nats: fanoutOutcome, redis: fanoutOutcome }).nullable(),
});

/** Body of pause and resume: a reason is required for both (it is what the banner and the log show). */
export const controlChangeInput = z.object({ reason: reasonSchema }).strict();
