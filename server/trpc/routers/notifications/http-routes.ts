// The HTTP API rows of notifications and outgoing webhooks (CTRL-006). Spread into httpRoutes
// (server/trpc/http-api.ts), so they are documented in /api/openapi.json with the procedures' schemas.
import { z } from "zod";
import type { HttpRoute } from "@/server/trpc/http-api";
import {
  disabledWebhookOutput,
  disableWebhookInput,
  type listNotificationsInput,
  markReadInput,
  markReadOutput,
  notificationListOutput,
  registeredWebhookOutput,
  registerWebhookInput,
  webhookDeliveryOutput,
  webhookEndpointOutput,
} from "./schemas";

function object(body: unknown): Record<string, unknown> {
  return (body ?? {}) as Record<string, unknown>;
}

/** A query flag: "true" / "false", anything else passed on as is (and refused by validation). */
function flag(query: URLSearchParams, name: string): unknown {
  const value = query.get(name);
  if (value === null) return undefined;
  return value === "true" ? true : value === "false" ? false : value;
}

/** A query number: digits become a number, anything else is passed on (and refused by validation). */
function int(query: URLSearchParams, name: string): unknown {
  const value = query.get(name);
  if (value === null) return undefined;
  return /^\d{1,15}$/.test(value) ? Number(value) : value;
}

function defined(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}

const portfolioQuery = z.object({ portfolioId: z.string() });
const disableBody = disableWebhookInput.omit({ endpointId: true });

export const notificationsHttpRoutes: HttpRoute[] = [
  {
    method: "GET",
    path: "/notifications",
    summary:
      "Your notifications in a portfolio (and the deployment-wide ones, like the kill-switch), newest first, with your unread count.",
    tag: "notifications",
    query: z.object({
      portfolioId: z.string(),
      unreadOnly: z.enum(["true", "false"]).optional(),
      limit: z.string().optional().describe("1-200, default 50"),
      beforeSeq: z.string().optional().describe("Only notifications older than this seq (the next page)"),
    }),
    output: notificationListOutput,
    successStatus: 200,
    call: (caller, { query }) =>
      caller.notifications.list(
        defined({
          portfolioId: query.get("portfolioId") ?? "",
          unreadOnly: flag(query, "unreadOnly"),
          limit: int(query, "limit"),
          beforeSeq: int(query, "beforeSeq"),
        }) as z.infer<typeof listNotificationsInput>,
      ),
  },
  {
    method: "POST",
    path: "/notifications/read",
    summary: "Mark some of your notifications read ({ ids }) or all of a portfolio's ({ all: true }).",
    tag: "notifications",
    body: markReadInput,
    output: markReadOutput,
    successStatus: 200,
    call: (caller, { body }) => caller.notifications.markRead(body as z.infer<typeof markReadInput>),
  },
  {
    method: "GET",
    path: "/webhooks",
    summary:
      "A portfolio's outgoing webhook endpoints with their delivery counts (admin). Secrets are never shown again.",
    tag: "webhooks",
    query: portfolioQuery,
    output: z.array(webhookEndpointOutput),
    successStatus: 200,
    call: (caller, { query }) =>
      caller.notifications.listWebhooks({ portfolioId: query.get("portfolioId") ?? "" }),
  },
  {
    method: "POST",
    path: "/webhooks",
    summary:
      'Register an outgoing webhook endpoint (admin): deliveries are POSTed as JSON, signed in the Venture-Signature header (t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">), and retried with exponential backoff. The secret is in this answer only.',
    tag: "webhooks",
    body: registerWebhookInput,
    output: registeredWebhookOutput,
    successStatus: 201,
    call: (caller, { body }) =>
      caller.notifications.registerWebhook(body as z.infer<typeof registerWebhookInput>),
  },
  {
    method: "GET",
    path: "/webhooks/{id}/deliveries",
    summary: "The delivery log of one endpoint (admin): each delivery's status and attempts, newest first.",
    tag: "webhooks",
    query: portfolioQuery,
    output: z.array(webhookDeliveryOutput),
    successStatus: 200,
    call: (caller, { params, query }) =>
      caller.notifications.listWebhookDeliveries({
        portfolioId: query.get("portfolioId") ?? "",
        endpointId: params.id!,
      }),
  },
  {
    method: "POST",
    path: "/webhooks/{id}/disable",
    summary:
      "Disable an endpoint (admin): nothing more is sent to it; what was still waiting is closed as failed.",
    tag: "webhooks",
    body: disableBody,
    output: disabledWebhookOutput,
    successStatus: 200,
    call: (caller, { params, body }) =>
      caller.notifications.disableWebhook({
        ...(object(body) as z.infer<typeof disableBody>),
        endpointId: params.id!,
      }),
  },
];
