// Reading webhook endpoints and their delivery log. Never the secret: it is shown once, when the
// endpoint is registered.
import type { Db } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { NotificationKind } from "@/server/shared/events/catalog/notifications";
import { openEndpointField } from "./webhook-endpoint-seal";

export const webhookEndpointStream = (endpointId: string) => ({ type: "webhook_endpoint", id: endpointId });

export type WebhookEndpointView = {
  id: string;
  portfolioId: string;
  url: string;
  description: string;
  eventTypes: NotificationKind[];
  status: "active" | "disabled";
  createdBy: string;
  createdAt: Date;
  disabledAt: Date | null;
  deliveries: { pending: number; succeeded: number; failed: number };
};

export type WebhookDeliveryStatus = "pending" | "delivering" | "succeeded" | "failed";

export type WebhookDeliveryView = {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: NotificationKind;
  status: WebhookDeliveryStatus;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
  attemptLog: Array<{
    attempt: number;
    startedAt: Date;
    durationMs: number;
    statusCode: number | null;
    error: string | null;
  }>;
};

type EndpointRow = {
  id: string;
  portfolio_id: string;
  url: string;
  description: string;
  event_types: string[];
  status: "active" | "disabled";
  created_by: string;
  created_at: Date;
  disabled_at: Date | null;
  pending: number;
  succeeded: number;
  failed: number;
};

const endpointSelect = `SELECT e.id, e.portfolio_id, e.url, e.description, e.event_types, e.status, e.created_by,
       e.created_at, e.disabled_at,
       count(d.id) FILTER (WHERE d.status IN ('pending', 'delivering'))::int AS pending,
       count(d.id) FILTER (WHERE d.status = 'succeeded')::int AS succeeded,
       count(d.id) FILTER (WHERE d.status = 'failed')::int AS failed
  FROM webhook_endpoints e LEFT JOIN webhook_deliveries d ON d.endpoint_id = e.id`;

/** The URL in clear; a page of endpoints still renders when one does not open (wrong master key). */
function readableUrl(row: EndpointRow): string {
  try {
    return openEndpointField(row.id, "url", row.url);
  } catch (error) {
    return `(sealed: ${(error as Error).message})`;
  }
}

function toEndpointView(row: EndpointRow): WebhookEndpointView {
  return {
    id: row.id,
    portfolioId: row.portfolio_id,
    url: readableUrl(row),
    description: row.description,
    eventTypes: row.event_types as NotificationKind[],
    status: row.status,
    createdBy: row.created_by,
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
    deliveries: { pending: row.pending, succeeded: row.succeeded, failed: row.failed },
  };
}

/** A portfolio's endpoints, active first, newest first. */
export async function listWebhooks(options: { db: Db; portfolioId: string }): Promise<WebhookEndpointView[]> {
  const rows = await options.db.$queryRawUnsafe<EndpointRow[]>(
    `${endpointSelect} WHERE e.portfolio_id = $1 GROUP BY e.id
      ORDER BY (e.status = 'active') DESC, e.created_at DESC`,
    options.portfolioId,
  );
  return rows.map(toEndpointView);
}

/** One endpoint of the portfolio; NOT_FOUND when it belongs to another portfolio or none. */
export async function getWebhook(options: {
  db: Db;
  portfolioId: string;
  endpointId: string;
}): Promise<WebhookEndpointView> {
  const [row] = await options.db.$queryRawUnsafe<EndpointRow[]>(
    `${endpointSelect} WHERE e.id = $1 AND e.portfolio_id = $2 GROUP BY e.id`,
    options.endpointId,
    options.portfolioId,
  );
  if (!row) throw new AppError("NOT_FOUND", `Webhook endpoint ${options.endpointId} not found`);
  return toEndpointView(row);
}

/** The delivery log of one endpoint, newest first, each delivery with its attempts. */
export async function listDeliveries(options: {
  db: Db;
  portfolioId: string;
  endpointId: string;
  limit?: number;
}): Promise<WebhookDeliveryView[]> {
  await getWebhook(options);
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 200);
  const rows = await options.db.$queryRawUnsafe<
    Array<{
      id: string;
      endpoint_id: string;
      event_id: string;
      event_type: string;
      status: WebhookDeliveryStatus;
      attempts: number;
      max_attempts: number;
      next_attempt_at: Date | null;
      last_attempt_at: Date | null;
      last_status_code: number | null;
      last_error: string | null;
      delivered_at: Date | null;
      created_at: Date;
      attempt_log: Array<{
        attempt: number;
        started_at: string;
        duration_ms: number;
        status_code: number | null;
        error: string | null;
      }> | null;
    }>
  >(
    `SELECT d.id, d.endpoint_id, d.event_id, d.event_type, d.status, d.attempts, d.max_attempts, d.next_attempt_at,
            d.last_attempt_at, d.last_status_code, d.last_error, d.delivered_at, d.created_at,
            (SELECT json_agg(json_build_object('attempt', a.attempt, 'started_at', a.started_at,
                    'duration_ms', a.duration_ms, 'status_code', a.status_code, 'error', a.error)
                    ORDER BY a.attempt)
               FROM webhook_delivery_attempts a WHERE a.delivery_id = d.id) AS attempt_log
       FROM webhook_deliveries d
      WHERE d.endpoint_id = $1
      ORDER BY d.created_at DESC, d.id DESC LIMIT $2`,
    options.endpointId,
    limit,
  );
  return rows.map((row) => ({
    id: row.id,
    endpointId: row.endpoint_id,
    eventId: row.event_id,
    eventType: row.event_type as NotificationKind,
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    deliveredAt: row.delivered_at,
    createdAt: row.created_at,
    attemptLog: (row.attempt_log ?? []).map((a) => ({
      attempt: a.attempt,
      startedAt: new Date(a.started_at),
      durationMs: a.duration_ms,
      statusCode: a.status_code,
      error: a.error,
    })),
  }));
}
