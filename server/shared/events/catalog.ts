// The closed catalog of event types: each type has a schema version and a zod payload schema,
// validated on append and again on consume. Adding an event type means adding it here.
import { z } from "zod";

export const roles = ["founder", "finance_controller", "auditor", "admin"] as const;
export type Role = (typeof roles)[number];

const isoTime = z.iso.datetime({ offset: true });

export const eventCatalog = {
  "identity.user_registered": {
    schemaVersion: 1,
    payload: z.object({ userId: z.string(), email: z.string(), name: z.string() }).strict(),
  },
  "identity.membership_granted": {
    schemaVersion: 1,
    payload: z.object({ userId: z.string(), portfolioId: z.string(), role: z.enum(roles) }).strict(),
  },
  "identity.api_token_created": {
    schemaVersion: 1,
    payload: z
      .object({ tokenId: z.string(), userId: z.string(), name: z.string(), expiresAt: isoTime.nullable() })
      .strict(),
  },
  "orchestration.portfolio_created": {
    schemaVersion: 1,
    payload: z.object({ portfolioId: z.string(), name: z.string() }).strict(),
  },
  "orchestration.venture_created": {
    schemaVersion: 1,
    payload: z
      .object({
        ventureId: z.string(),
        portfolioId: z.string(),
        name: z.string(),
        slug: z.string(),
        goal: z.string().nullable(),
        stage: z.string(),
      })
      .strict(),
  },
  "orchestration.venture_provisioned": {
    schemaVersion: 1,
    payload: z.object({ ventureId: z.string(), provisionedBy: z.string() }).strict(),
  },
} as const;

export type EventType = keyof typeof eventCatalog;
export type EventPayload<T extends EventType> = z.infer<(typeof eventCatalog)[T]["payload"]>;
export const eventTypes = Object.keys(eventCatalog) as EventType[];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(eventCatalog, type);
}
