// Kill-switch events (CTRL-003): who paused or resumed everything, why, and at which epoch.
// The actor is in the envelope; names stay out of payloads (personal data is encrypted per subject).
import { z } from "zod";

export const controlScopes = ["global"] as const;
export type ControlScope = (typeof controlScopes)[number];

const change = z
  .object({
    scope: z.enum(controlScopes),
    /** The control stream's version after this event: +1 per pause or resume. */
    epoch: z.number().int().positive(),
    reason: z.string().min(1).max(500),
  })
  .strict();

export const controlEvents = {
  "control.paused": { schemaVersion: 1, payload: change },
  "control.resumed": { schemaVersion: 1, payload: change },
} as const;
