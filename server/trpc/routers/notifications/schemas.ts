import { z } from "zod";
import { notificationKinds } from "@/server/shared/events/catalog/notifications";

const notificationId = z.string().regex(/^ntf_[0-9A-Z]{26}$/, "a notification id (ntf_…)");

export const listNotificationsInput = z
  .object({
    portfolioId: z.string().min(1),
    unreadOnly: z.boolean().optional(),
    limit: z.number().int().min(1).max(200).optional(),
    /** Older than this seq: the next page. */
    beforeSeq: z.number().int().positive().optional(),
  })
  .strict();

export const markReadInput = z
  .object({
    portfolioId: z.string().min(1),
    ids: z.array(notificationId).min(1, "at least one id").max(200, "at most 200 ids").optional(),
    all: z.literal(true).optional(),
  })
  .strict()
  .refine((input) => (input.ids === undefined) !== (input.all === undefined), {
    message: "give either ids or all: true",
    path: ["ids"],
  });

export const notificationFeedInput = z
  .object({
    portfolioId: z.string().min(1),
    /** Set by the client on reconnect: the seq of the last notification it saw. */
    lastEventId: z.string().regex(/^\d+$/).nullish(),
  })
  .strict();

export const notificationOutput = z.object({
  id: z.string(),
  seq: z.number().int(),
  kind: z.enum(notificationKinds),
  portfolioId: z.string().nullable(),
  eventId: z.string(),
  title: z.string(),
  body: z.string(),
  link: z.string().nullable(),
  occurredAt: z.date(),
  readAt: z.date().nullable(),
});

export const notificationListOutput = z.object({
  items: z.array(notificationOutput),
  unreadCount: z.number().int(),
});

export const markReadOutput = z.object({ marked: z.number().int(), unreadCount: z.number().int() });

export const webhookPortfolioInput = z.object({ portfolioId: z.string().min(1) }).strict();

export const registerWebhookInput = z
  .object({
    portfolioId: z.string().min(1),
    url: z.string().trim().min(1, "required").max(2_000, "at most 2000 characters"),
    eventTypes: z
      .array(z.enum(notificationKinds))
      .min(1, "at least one")
      .max(notificationKinds.length, `at most ${notificationKinds.length}`),
    description: z.string().trim().max(200, "at most 200 characters").optional(),
  })
  .strict();

export const webhookEndpointInput = z
  .object({
    portfolioId: z.string().min(1),
    endpointId: z.string().regex(/^whk_[0-9A-Z]{26}$/, "a webhook endpoint id (whk_…)"),
  })
  .strict();

export const disableWebhookInput = webhookEndpointInput
  .extend({ reason: z.string().trim().max(500, "at most 500 characters").optional() })
  .strict();

export const listDeliveriesInput = webhookEndpointInput
  .extend({ limit: z.number().int().min(1).max(200).optional() })
  .strict();

export const webhookEndpointOutput = z.object({
  id: z.string(),
  portfolioId: z.string(),
  url: z.string(),
  description: z.string(),
  eventTypes: z.array(z.enum(notificationKinds)),
  status: z.enum(["active", "disabled"]),
  createdBy: z.string(),
  createdAt: z.date(),
  disabledAt: z.date().nullable(),
  deliveries: z.object({ pending: z.number().int(), succeeded: z.number().int(), failed: z.number().int() }),
});

export const registeredWebhookOutput = z.object({
  endpoint: webhookEndpointOutput,
  /** The signing secret, shown this once: store it where the receiver can read it. */
  secret: z.string(),
});

export const disabledWebhookOutput = z.object({ endpoint: webhookEndpointOutput, changed: z.boolean() });

export const webhookDeliveryOutput = z.object({
  id: z.string(),
  endpointId: z.string(),
  eventId: z.string(),
  eventType: z.enum(notificationKinds),
  status: z.enum(["pending", "delivering", "succeeded", "failed"]),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  nextAttemptAt: z.date().nullable(),
  lastAttemptAt: z.date().nullable(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  deliveredAt: z.date().nullable(),
  createdAt: z.date(),
  attemptLog: z.array(
    z.object({
      attempt: z.number().int(),
      startedAt: z.date(),
      durationMs: z.number().int(),
      statusCode: z.number().int().nullable(),
      error: z.string().nullable(),
    }),
  ),
});
