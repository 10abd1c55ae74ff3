// Sending webhook deliveries (docs/decisions/0014): claim what is due, POST it signed, record the
// attempt, and on failure schedule the next attempt with exponential backoff until maxAttempts.
//
// - Claims take a lease (status delivering, lease_until) with FOR UPDATE SKIP LOCKED, so several
//   sender processes share the work and a delivery whose sender died is taken over when its lease
//   ends. Delivery is therefore at least once: receivers dedupe on Venture-Webhook-Id.
// - One endpoint never holds up another: a claim takes at most one delivery per endpoint and skips
//   endpoints the caller already has in flight, and every request has a timeout.
// - The request follows no redirects (a 3xx is a failure): where data goes is what an admin
//   registered, nothing else.
import type { Db } from "@/server/shared/db";
import { withTransaction } from "@/server/shared/db";
import { openEndpointField } from "./webhook-endpoint-seal";
import { signatureHeaderValue } from "./webhook-signing";

export type ClaimedDelivery = {
  id: string;
  endpointId: string;
  url: string;
  secret: string;
  /** Why the endpoint's sealed URL or secret did not open (then nothing is sent). */
  unopened?: string;
  eventType: string;
  body: string;
  /** This attempt's number, 1-based. */
  attempt: number;
  maxAttempts: number;
};

export type DeliveryPolicy = {
  /** Longest wait for an endpoint's answer. */
  timeoutMs: number;
  /** Wait before attempt n+1 is backoffBaseMs * 2^(n-1), at most backoffMaxMs. */
  backoffBaseMs: number;
  backoffMaxMs: number;
};

export const defaultDeliveryPolicy: DeliveryPolicy = {
  timeoutMs: 10_000,
  backoffBaseMs: 30_000,
  backoffMaxMs: 3_600_000,
};

/** The wait after failed attempt n (1-based). */
export function backoffMs(
  attempt: number,
  policy: Pick<DeliveryPolicy, "backoffBaseMs" | "backoffMaxMs">,
): number {
  return Math.min(policy.backoffBaseMs * 2 ** Math.max(0, attempt - 1), policy.backoffMaxMs);
}

/**
 * Claims up to `limit` due deliveries, at most one per endpoint and none of `busyEndpointIds`,
 * oldest first, for `leaseMs`. Each claim counts as an attempt.
 */
export async function claimDueDeliveries(
  db: Db,
  options: { limit: number; busyEndpointIds: string[]; leaseMs: number },
): Promise<ClaimedDelivery[]> {
  if (options.limit <= 0) return [];
  // A sender that died during the last allowed attempt leaves nothing to retry: close it.
  await db.$executeRawUnsafe(
    `UPDATE webhook_deliveries
        SET status = 'failed', lease_until = NULL,
            last_error = coalesce(last_error || '; ', '') || 'the sender stopped during the last attempt'
      WHERE status = 'delivering' AND lease_until < now() AND attempts >= max_attempts`,
  );
  const rows = await db.$queryRawUnsafe<
    Array<{
      id: string;
      endpoint_id: string;
      url: string;
      secret: string;
      event_type: string;
      body: string;
      attempts: number;
      max_attempts: number;
    }>
  >(
    `WITH due AS (
       SELECT DISTINCT ON (d.endpoint_id) d.id
         FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
        WHERE e.status = 'active' AND d.endpoint_id <> ALL($2::text[])
          AND ((d.status = 'pending' AND d.next_attempt_at <= now())
            OR (d.status = 'delivering' AND d.lease_until < now()))
        ORDER BY d.endpoint_id, d.next_attempt_at, d.id
     ), claimed AS (
       SELECT d.id FROM webhook_deliveries d
        WHERE d.id IN (SELECT id FROM due)
          AND ((d.status = 'pending' AND d.next_attempt_at <= now())
            OR (d.status = 'delivering' AND d.lease_until < now()))
          AND d.attempts < d.max_attempts
        ORDER BY d.next_attempt_at, d.id
        LIMIT $1
        FOR UPDATE SKIP LOCKED
     )
     UPDATE webhook_deliveries d
        SET status = 'delivering', attempts = d.attempts + 1, last_attempt_at = now(),
            lease_until = now() + $3::float8 * interval '1 millisecond'
       FROM claimed, webhook_endpoints e
      WHERE d.id = claimed.id AND e.id = d.endpoint_id
      RETURNING d.id, d.endpoint_id, e.url, e.secret, d.event_type, d.body, d.attempts, d.max_attempts`,
    options.limit,
    options.busyEndpointIds,
    options.leaseMs,
  );
  return rows.map((row) => ({
    id: row.id,
    endpointId: row.endpoint_id,
    ...openEndpoint(row),
    eventType: row.event_type,
    body: row.body,
    attempt: row.attempts,
    maxAttempts: row.max_attempts,
  }));
}

function openEndpoint(row: {
  endpoint_id: string;
  url: string;
  secret: string;
}): Pick<ClaimedDelivery, "url" | "secret" | "unopened"> {
  try {
    return {
      url: openEndpointField(row.endpoint_id, "url", row.url),
      secret: openEndpointField(row.endpoint_id, "secret", row.secret),
    };
  } catch (error) {
    return { url: "", secret: "", unopened: (error as Error).message };
  }
}

export type AttemptResult = {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  responseSnippet: string | null;
  startedAt: Date;
};

const snippetMax = 500;
const responseReadMax = 4_096;

/** Reads at most responseReadMax bytes of an answer: a receiver cannot make us buffer gigabytes. */
async function readSnippet(response: Response): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < responseReadMax) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const text = Buffer.concat(chunks).toString("utf8").slice(0, snippetMax);
  return text.length > 0 ? text : null;
}

/** One signed POST of a claimed delivery. Never throws: every outcome is an AttemptResult. */
export async function sendDelivery(
  delivery: ClaimedDelivery,
  policy: Pick<DeliveryPolicy, "timeoutMs">,
  nowMs: () => number = Date.now,
): Promise<AttemptResult> {
  const startedAt = new Date(nowMs());
  const started = performance.now();
  const timestampSec = Math.floor(nowMs() / 1000);
  const took = () => Math.round(performance.now() - started);
  if (delivery.unopened !== undefined) {
    return {
      ok: false,
      statusCode: null,
      error: delivery.unopened,
      durationMs: 0,
      responseSnippet: null,
      startedAt,
    };
  }
  try {
    const response = await fetch(delivery.url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(policy.timeoutMs),
      headers: {
        "content-type": "application/json",
        "user-agent": "Venture-Webhooks/1",
        "venture-webhook-id": delivery.id,
        "venture-event-type": delivery.eventType,
        "venture-delivery-attempt": String(delivery.attempt),
        "venture-signature": signatureHeaderValue(delivery.secret, delivery.body, timestampSec),
      },
      body: delivery.body,
    });
    const responseSnippet = await readSnippet(response).catch(() => null);
    const ok = response.status >= 200 && response.status < 300;
    return {
      ok,
      statusCode: response.status,
      error: ok
        ? null
        : response.status >= 300 && response.status < 400
          ? `redirect (${response.status}) not followed`
          : `HTTP ${response.status}`,
      durationMs: took(),
      responseSnippet,
      startedAt,
    };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const message = timedOut
      ? `no answer in ${policy.timeoutMs} ms`
      : (cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error)));
    return {
      ok: false,
      statusCode: null,
      error: message.slice(0, 500),
      durationMs: took(),
      responseSnippet: null,
      startedAt,
    };
  }
}

export type RecordedOutcome = "succeeded" | "retrying" | "failed" | "lease_lost";

/**
 * Records an attempt in the log and moves the delivery on: succeeded, back to pending with the
 * next attempt scheduled, or failed after the last attempt. If another sender took the delivery
 * over meanwhile (our lease ran out), only the log row is written.
 */
export async function recordAttempt(
  db: Db,
  delivery: ClaimedDelivery,
  result: AttemptResult,
  policy: Pick<DeliveryPolicy, "backoffBaseMs" | "backoffMaxMs">,
): Promise<RecordedOutcome> {
  return withTransaction(db, async (tx) => {
    await tx.$executeRawUnsafe(
      `INSERT INTO webhook_delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_snippet)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      delivery.id,
      delivery.attempt,
      result.startedAt,
      result.durationMs,
      result.statusCode,
      result.error,
      result.responseSnippet,
    );
    let outcome: Exclude<RecordedOutcome, "lease_lost"> = result.ok
      ? "succeeded"
      : delivery.attempt >= delivery.maxAttempts
        ? "failed"
        : "retrying";
    let error = result.error;
    if (outcome === "retrying") {
      // An endpoint disabled while this attempt was in flight gets no retry: disabling closes only
      // what is pending, so this delivery is closed here. The share lock orders us with a disable
      // in progress (it holds the row FOR UPDATE): we see it committed, or it sees our pending row.
      const [endpoint] = await tx.$queryRawUnsafe<Array<{ status: string }>>(
        "SELECT status FROM webhook_endpoints WHERE id = $1 FOR SHARE",
        delivery.endpointId,
      );
      if (endpoint?.status === "disabled") {
        outcome = "failed";
        error = "endpoint disabled";
      }
    }
    const updated = await tx.$executeRawUnsafe(
      `UPDATE webhook_deliveries
          SET status = $3::text, lease_until = NULL, last_status_code = $4, last_error = $5,
              delivered_at = CASE WHEN $3::text = 'succeeded' THEN now() ELSE NULL END,
              next_attempt_at = CASE WHEN $3::text = 'pending' THEN now() + $6::float8 * interval '1 millisecond' ELSE NULL END
        WHERE id = $1 AND attempts = $2 AND status = 'delivering'`,
      delivery.id,
      delivery.attempt,
      outcome === "retrying" ? "pending" : outcome,
      result.statusCode,
      error,
      outcome === "retrying" ? backoffMs(delivery.attempt, policy) : 0,
    );
    return updated === 1 ? outcome : "lease_lost";
  });
}
