// Notification events (CTRL-006, docs/decisions/0014): outgoing webhook endpoints registered and
// disabled. In-app notifications and webhook deliveries are projections of other events (rows,
// not events): they record what people were told, not decisions.
import { z } from "zod";

/**
 * What a person can be notified about, in the app and through webhooks. These are also the event
 * types a webhook endpoint subscribes to (the names receivers see in Venture-Event-Type).
 */
export const notificationKinds = [
  "intent.approval_requested",
  "tool.approval_requested",
  "task.escalated",
  "treasury.frozen",
  "treasury.unfrozen",
  "finding.raised",
  "control.paused",
  "control.resumed",
] as const;
export type NotificationKind = (typeof notificationKinds)[number];

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 hex digest");

export const notificationEvents = {
  /**
   * An admin registered an endpoint. The URL itself is not recorded: chat webhook URLs carry their
   * own credentials, and events are immutable and leave the system in evidence packs. The origin
   * says where data goes; the hash identifies the exact URL.
   */
  "notifications.webhook_registered": {
    schemaVersion: 1,
    payload: z
      .object({
        endpointId: z.string().min(1),
        portfolioId: z.string().min(1),
        urlOrigin: z.string().min(1),
        urlSha256: sha256Hex,
        eventTypes: z.array(z.enum(notificationKinds)).min(1),
        description: z.string(),
      })
      .strict(),
  },
  "notifications.webhook_disabled": {
    schemaVersion: 1,
    payload: z
      .object({ endpointId: z.string().min(1), portfolioId: z.string().min(1), reason: z.string().min(1) })
      .strict(),
  },
} as const;
