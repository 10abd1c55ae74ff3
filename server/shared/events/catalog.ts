// The closed catalog of event types: each type has a schema version and a zod payload schema,
// validated on append and again on consume. Each context keeps its entries in catalog/<context>.ts;
// this file joins them, and a type missing here does not exist.
import type { z } from "zod";
import { agentsEvents } from "./catalog/agents";
import { artifactsEvents } from "./catalog/artifacts";
import { complianceEvents } from "./catalog/compliance";
import { controlEvents } from "./catalog/control";
import { identityEvents } from "./catalog/identity";
import { notificationEvents } from "./catalog/notifications";
import { orchestrationEvents } from "./catalog/orchestration";
import { orchestrationPlaybookEvents } from "./catalog/orchestration-playbooks";
import { policyEvents } from "./catalog/policy";
import { treasuryEvents } from "./catalog/treasury";
import { treasuryFundingEvents } from "./catalog/treasury-funding";
import { treasuryIntentEvents } from "./catalog/treasury-intents";
import { treasuryRailEvents } from "./catalog/treasury-rails";
import { treasuryRebalancingEvents } from "./catalog/treasury-rebalancing";

export { type Role, roles } from "./catalog/identity";

export const eventCatalog = {
  ...agentsEvents,
  ...artifactsEvents,
  ...complianceEvents,
  ...controlEvents,
  ...identityEvents,
  ...notificationEvents,
  ...orchestrationEvents,
  ...orchestrationPlaybookEvents,
  ...policyEvents,
  ...treasuryEvents,
  ...treasuryFundingEvents,
  ...treasuryIntentEvents,
  ...treasuryRebalancingEvents,
  ...treasuryRailEvents,
} as const satisfies Record<string, { schemaVersion: number; payload: z.ZodType }>;

export type EventType = keyof typeof eventCatalog;
export type EventPayload<T extends EventType> = z.infer<(typeof eventCatalog)[T]["payload"]>;
/** The payload as the log stores it: for entries with personal data, sealed into a `pii` section
 * (server/shared/events/personal-data.ts); for every other entry the same as EventPayload. */
export type StoredPayload<T extends EventType> = (typeof eventCatalog)[T] extends {
  storedPayload: z.ZodType<infer S>;
}
  ? S
  : EventPayload<T>;
export const eventTypes = Object.keys(eventCatalog) as EventType[];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(eventCatalog, type);
}
