// The notification centre and outgoing webhooks (CTRL-006). Notifications are the caller's own:
// every member reads and marks theirs in a portfolio they belong to. Webhooks are for admins.
import { tracked } from "@trpc/server";
import { z } from "zod";
import {
  disableWebhook,
  listDeliveries,
  listNotifications,
  listWebhooks,
  liveNotifications,
  markNotificationsRead,
  registerWebhook,
} from "@/server/contexts/notifications/api";
import { createTRPCRouter, portfolioProcedure } from "@/server/trpc/init";
import {
  disabledWebhookOutput,
  disableWebhookInput,
  listDeliveriesInput,
  listNotificationsInput,
  markReadInput,
  markReadOutput,
  notificationFeedInput,
  notificationListOutput,
  notificationOutput,
  registeredWebhookOutput,
  registerWebhookInput,
  webhookDeliveryOutput,
  webhookEndpointOutput,
  webhookPortfolioInput,
} from "./schemas";

export const notificationsRouter = createTRPCRouter({
  list: portfolioProcedure("portfolio.read")
    .input(listNotificationsInput)
    .output(notificationListOutput)
    .query(({ ctx, input }) => listNotifications({ db: ctx.db, userId: ctx.principal.userId, ...input })),
  markRead: portfolioProcedure("portfolio.read")
    .input(markReadInput)
    .output(markReadOutput)
    .mutation(({ ctx, input }) =>
      markNotificationsRead({ db: ctx.db, userId: ctx.principal.userId, ...input }),
    ),
  /** New notifications as server-sent events, resumable from the last seen seq. */
  feed: portfolioProcedure("portfolio.read")
    .input(notificationFeedInput)
    .subscription(async function* ({ ctx, input, signal }) {
      const stream = liveNotifications(ctx.db).subscribe({
        userId: ctx.principal.userId,
        portfolioId: input.portfolioId,
        afterSeq: input.lastEventId ? Number(input.lastEventId) : null,
        signal: signal ?? new AbortController().signal,
      });
      for await (const item of stream) yield tracked(String(item.seq), notificationOutput.parse(item));
    }),
  listWebhooks: portfolioProcedure("webhook.manage")
    .input(webhookPortfolioInput)
    .output(z.array(webhookEndpointOutput))
    .query(({ ctx, input }) => listWebhooks({ db: ctx.db, portfolioId: input.portfolioId })),
  registerWebhook: portfolioProcedure("webhook.manage")
    .input(registerWebhookInput)
    .output(registeredWebhookOutput)
    .mutation(({ ctx, input }) =>
      registerWebhook({ db: ctx.db, actor: ctx.actor, correlationId: ctx.correlationId, ...input }),
    ),
  disableWebhook: portfolioProcedure("webhook.manage")
    .input(disableWebhookInput)
    .output(disabledWebhookOutput)
    .mutation(({ ctx, input }) =>
      disableWebhook({ db: ctx.db, actor: ctx.actor, correlationId: ctx.correlationId, ...input }),
    ),
  listWebhookDeliveries: portfolioProcedure("webhook.manage")
    .input(listDeliveriesInput)
    .output(z.array(webhookDeliveryOutput))
    .query(({ ctx, input }) => listDeliveries({ db: ctx.db, ...input })),
});
