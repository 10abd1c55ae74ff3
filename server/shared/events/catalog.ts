// The closed catalog of event types: each type has a schema version and a zod payload schema,
// validated on append and again on consume. Each context keeps its entries in catalog/<context>.ts;
// this file joins them, and a type missing here does not exist.
import type { z } from "zod";
import { agentsEvents } from "./catalog/agents";
import { complianceEvents } from "./catalog/compliance";
import { controlEvents } from "./catalog/control";
import { identityEvents } from "./catalog/identity";
import { orchestrationEvents } from "./catalog/orchestration";
import { policyEvents } from "./catalog/policy";
import { treasuryEvents } from "./catalog/treasury";
import { treasuryIntentEvents } from "./catalog/treasury-intents";

export { type Role, roles } from "./catalog/identity";

export const eventCatalog = {
  ...agentsEvents,
  ...complianceEvents,
  ...controlEvents,
  ...identityEvents,
  ...orchestrationEvents,
  ...policyEvents,
  ...treasuryEvents,
  ...treasuryIntentEvents,
} as const satisfies Record<string, { schemaVersion: number; payload: z.ZodType }>;

export type EventType = keyof typeof eventCatalog;
export type EventPayload<T extends EventType> = z.infer<(typeof eventCatalog)[T]["payload"]>;
export const eventTypes = Object.keys(eventCatalog) as EventType[];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(eventCatalog, type);
}
