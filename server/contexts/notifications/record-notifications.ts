// Turns one event into notifications for the people it concerns and webhook deliveries for the
// endpoints subscribed to it (CTRL-006). Runs inside the consumer harness's transaction, after its
// inbox row: an event delivered twice notifies once, and a failure leaves nothing behind.
import { membersWithRoles } from "@/server/contexts/identity/members-with-roles";
import { readTask } from "@/server/contexts/orchestration/api";
import { getIntent } from "@/server/contexts/treasury/intents/api";
import type { Tx } from "@/server/shared/db";
import type { AnyEnvelope } from "@/server/shared/events/envelope";
import { newId } from "@/server/shared/ids";
import { type NotificationDraft, type NotificationFacts, notificationFor } from "./notification-rules";

/** Deliveries of one event to one endpoint are tried this often at most, by default. */
export const defaultWebhookMaxAttempts = 8;

/** The JSON body every webhook receives (documented in ADR 0014). */
export type WebhookBody = {
  /** The event's id: the same for every endpoint and every attempt. */
  id: string;
  type: NotificationDraft["kind"];
  occurredAt: string;
  /** null for deployment-wide events (the kill-switch, deployment-wide findings). */
  portfolioId: string | null;
  title: string;
  text: string;
  /** Where to act on it in the app. */
  url: string;
  data: NotificationDraft["data"];
};

/**
 * Events older than this tell nobody anything: a notifier that first starts on a stream holding a
 * week of events (or comes back after a long outage) must not flood people and chat channels with
 * news of last week. The facts stay in the event log and the pages that show them.
 */
export const defaultMaxEventAgeMs = 24 * 3_600_000;

export type RecordOptions = {
  /** Base of the links in webhook bodies, e.g. https://venture.example.com. */
  appUrl: string;
  maxAttempts?: number;
  maxEventAgeMs?: number;
  now?: Date;
};

async function factsFor(tx: Tx, event: AnyEnvelope): Promise<NotificationFacts> {
  if (event.type === "treasury.intent_decided" && event.payload.status === "pending_approval") {
    const intent = event.portfolioId
      ? await getIntent({ db: tx, portfolioId: event.portfolioId, intentId: event.payload.intentId })
      : null;
    return { intent };
  }
  if (event.type === "orchestration.task_escalated") {
    const task = await readTask(tx, event.payload.taskId);
    return { task: task ? { title: task.title } : null };
  }
  return {};
}

export async function recordNotifications(
  tx: Tx,
  event: AnyEnvelope,
  options: RecordOptions,
): Promise<{ notified: number; deliveries: number }> {
  const ageMs = (options.now ?? new Date()).getTime() - new Date(event.occurredAt).getTime();
  if (ageMs > (options.maxEventAgeMs ?? defaultMaxEventAgeMs)) return { notified: 0, deliveries: 0 };
  const draft = notificationFor(event, await factsFor(tx, event));
  if (!draft) return { notified: 0, deliveries: 0 };

  const recipients = await membersWithRoles(tx, { portfolioId: draft.portfolioId, roles: draft.audience });
  let notified = 0;
  if (recipients.length > 0) {
    // One lock for every notification insert, held to commit: rows then commit in `seq` order, so
    // the live feed's cursor (seq > last seen) never passes a row that commits later. Notifications
    // are a few per minute, so serializing their inserts costs nothing that matters.
    await tx.$executeRawUnsafe("SELECT pg_advisory_xact_lock(hashtextextended('venture:notifications', 0))");
    notified = await tx.$executeRawUnsafe(
      `INSERT INTO notifications (id, user_id, portfolio_id, kind, event_id, event_type, title, body, link, occurred_at)
       SELECT id, user_id, $3, $4, $5, $6, $7, $8, $9, $10
         FROM unnest($1::text[], $2::text[]) AS r(id, user_id)
       ON CONFLICT (user_id, event_id) DO NOTHING`,
      recipients.map(() => newId("notification")),
      recipients,
      draft.portfolioId,
      draft.kind,
      event.id,
      event.type,
      draft.title,
      draft.body,
      draft.link,
      new Date(event.occurredAt),
    );
  }

  const endpoints = await tx.$queryRawUnsafe<Array<{ id: string; portfolio_id: string }>>(
    `SELECT id, portfolio_id FROM webhook_endpoints
      WHERE status = 'active' AND $1 = ANY(event_types) AND ($2::text IS NULL OR portfolio_id = $2)`,
    draft.kind,
    draft.portfolioId,
  );
  let deliveries = 0;
  if (endpoints.length > 0) {
    const body: WebhookBody = {
      id: event.id,
      type: draft.kind,
      occurredAt: event.occurredAt,
      portfolioId: draft.portfolioId,
      title: draft.title,
      text: draft.body,
      url: new URL(draft.link, options.appUrl).toString(),
      data: draft.data,
    };
    deliveries = await tx.$executeRawUnsafe(
      `INSERT INTO webhook_deliveries (id, endpoint_id, portfolio_id, event_id, event_type, body, status,
                                       attempts, max_attempts, next_attempt_at, created_at)
       SELECT id, endpoint_id, portfolio_id, $4, $5, $6, 'pending', 0, $7, now(), now()
         FROM unnest($1::text[], $2::text[], $3::text[]) AS r(id, endpoint_id, portfolio_id)
       ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
      endpoints.map(() => newId("webhookDelivery")),
      endpoints.map((e) => e.id),
      endpoints.map((e) => e.portfolio_id),
      event.id,
      draft.kind,
      JSON.stringify(body),
      options.maxAttempts ?? defaultWebhookMaxAttempts,
    );
  }
  return { notified, deliveries };
}
