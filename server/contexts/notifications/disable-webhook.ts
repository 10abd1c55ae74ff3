// Disabling a webhook endpoint (admin): nothing more is enqueued for it, and what was still waiting
// to be delivered is closed as failed ("endpoint disabled") so the log says why it never arrived.
// Disabling a disabled endpoint changes nothing. The endpoint row stays, with its delivery log.
import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { getWebhook, type WebhookEndpointView, webhookEndpointStream } from "./webhook-views";

export async function disableWebhook(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  portfolioId: string;
  endpointId: string;
  reason?: string;
}): Promise<{ endpoint: WebhookEndpointView; changed: boolean }> {
  const reason = (options.reason ?? "").trim() || "disabled by an admin";
  if (reason.length > 500) {
    throw new AppError("BAD_REQUEST", "Invalid input: reason: at most 500 characters", {
      fields: { reason: "at most 500 characters" },
    });
  }
  const changed = await withTransaction(options.db, async (tx) => {
    const [row] = await tx.$queryRawUnsafe<Array<{ status: string }>>(
      "SELECT status FROM webhook_endpoints WHERE id = $1 AND portfolio_id = $2 FOR UPDATE",
      options.endpointId,
      options.portfolioId,
    );
    if (!row) throw new AppError("NOT_FOUND", `Webhook endpoint ${options.endpointId} not found`);
    if (row.status === "disabled") return false;
    await appendEvents(tx, options, [
      {
        type: "notifications.webhook_disabled",
        stream: webhookEndpointStream(options.endpointId),
        expectedVersion: 1,
        portfolioId: options.portfolioId,
        payload: { endpointId: options.endpointId, portfolioId: options.portfolioId, reason },
      },
    ]);
    await tx.$executeRawUnsafe(
      "UPDATE webhook_endpoints SET status = 'disabled', disabled_at = now() WHERE id = $1",
      options.endpointId,
    );
    // A delivery in flight right now finishes on its own; the rest will never be sent.
    await tx.$executeRawUnsafe(
      `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, last_error = 'endpoint disabled'
        WHERE endpoint_id = $1 AND status = 'pending'`,
      options.endpointId,
    );
    return true;
  });
  return { endpoint: await getWebhook(options), changed };
}
