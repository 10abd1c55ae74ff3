// Registering an outgoing webhook endpoint in a portfolio (admin): the URL, the notification kinds
// it receives and a new signing secret, returned once. The registration is an event; the URL is
// recorded by origin and hash only (chat webhook URLs carry credentials; ADR 0014).
import { createHash } from "node:crypto";
import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { type NotificationKind, notificationKinds } from "@/server/shared/events/catalog/notifications";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { sealEndpointField } from "./webhook-endpoint-seal";
import { newWebhookSecret } from "./webhook-signing";
import { type WebhookEndpointView, webhookEndpointStream } from "./webhook-views";

/** Active endpoints a portfolio may have at once. */
export const webhookEndpointsMax = 20;
const urlLengthMax = 2_000;
const descriptionLengthMax = 200;

/** Checks a webhook URL: absolute http(s), no user:password part, not too long. */
export function parseWebhookUrl(raw: unknown): URL {
  const fail = (why: string): never => {
    throw new AppError("BAD_REQUEST", `Invalid webhook: url: ${why}`, { fields: { url: why } });
  };
  if (typeof raw !== "string" || raw.trim().length === 0) return fail("required");
  const text = raw.trim();
  if (text.length > urlLengthMax) return fail(`at most ${urlLengthMax} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail("not an absolute URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return fail("must be http or https");
  if (url.username || url.password) return fail("must not contain a user name or password");
  if (url.hash) return fail("must not contain a #fragment");
  return url;
}

export async function registerWebhook(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  portfolioId: string;
  url: string;
  eventTypes: string[];
  description?: string;
}): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  // Validate everything before the transaction: bad input names the field and writes nothing.
  const url = parseWebhookUrl(options.url);
  const eventTypes = [...new Set(options.eventTypes)];
  const unknown = eventTypes.filter((type) => !(notificationKinds as readonly string[]).includes(type));
  if (eventTypes.length === 0 || unknown.length > 0) {
    const why = eventTypes.length === 0 ? "at least one" : `unknown: ${unknown.join(", ")}`;
    throw new AppError("BAD_REQUEST", `Invalid webhook: eventTypes: ${why}`, { fields: { eventTypes: why } });
  }
  const description = (options.description ?? "").trim();
  if (description.length > descriptionLengthMax) {
    throw new AppError(
      "BAD_REQUEST",
      `Invalid webhook: description: at most ${descriptionLengthMax} characters`,
      {
        fields: { description: `at most ${descriptionLengthMax} characters` },
      },
    );
  }
  const secret = newWebhookSecret();
  const id = newId("webhookEndpoint");
  const createdAt = new Date();
  await withTransaction(options.db, async (tx) => {
    // Serializes registrations per portfolio, so the limit below cannot be raced past.
    await tx.$executeRawUnsafe(
      "SELECT pg_advisory_xact_lock(hashtextextended($1, 14))",
      `webhooks:${options.portfolioId}`,
    );
    const [count] = await tx.$queryRawUnsafe<Array<{ n: number }>>(
      "SELECT count(*)::int AS n FROM webhook_endpoints WHERE portfolio_id = $1 AND status = 'active'",
      options.portfolioId,
    );
    if ((count?.n ?? 0) >= webhookEndpointsMax) {
      throw new AppError(
        "UNPROCESSABLE",
        `Portfolio ${options.portfolioId} has ${webhookEndpointsMax} active webhook endpoints already; disable one first`,
      );
    }
    await appendEvents(tx, options, [
      {
        type: "notifications.webhook_registered",
        stream: webhookEndpointStream(id),
        expectedVersion: 0,
        portfolioId: options.portfolioId,
        payload: {
          endpointId: id,
          portfolioId: options.portfolioId,
          urlOrigin: url.origin,
          urlSha256: createHash("sha256").update(url.toString()).digest("hex"),
          eventTypes: eventTypes as NotificationKind[],
          description,
        },
      },
    ]);
    await tx.$executeRawUnsafe(
      `INSERT INTO webhook_endpoints (id, portfolio_id, url, description, event_types, secret, status, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5::text[], $6, 'active', $7, $8)`,
      id,
      options.portfolioId,
      sealEndpointField(id, "url", url.toString()),
      description,
      eventTypes,
      sealEndpointField(id, "secret", secret),
      options.actor.id,
      createdAt,
    );
  });
  return {
    endpoint: {
      id,
      portfolioId: options.portfolioId,
      url: url.toString(),
      description,
      eventTypes: eventTypes as NotificationKind[],
      status: "active",
      createdBy: options.actor.id,
      createdAt,
      disabledAt: null,
      deliveries: { pending: 0, succeeded: 0, failed: 0 },
    },
    secret,
  };
}
