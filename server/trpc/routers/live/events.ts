import { tracked } from "@trpc/server";
import { z } from "zod";
import { liveFeed } from "@/server/shared/live-feed";
import { portfolioProcedure } from "@/server/trpc/init";

export const liveEventsInput = z
  .object({
    portfolioId: z.string().min(1),
    /** Set by the client on reconnect: the id of the last event it saw (its sequence). */
    lastEventId: z.string().regex(/^\d+$/).nullish(),
  })
  .strict();

/** Server-sent events of one portfolio, resumable from the last seen sequence. */
export const liveEventsProcedure = portfolioProcedure("portfolio.read")
  .input(liveEventsInput)
  .subscription(async function* ({ ctx, input, signal }) {
    const stream = liveFeed(ctx.db).subscribe({
      portfolioIds: [input.portfolioId],
      afterSequence: input.lastEventId ? Number(input.lastEventId) : null,
      signal: signal ?? new AbortController().signal,
    });
    for await (const event of stream) yield tracked(String(event.sequence), event);
  });
