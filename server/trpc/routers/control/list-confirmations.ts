import { z } from "zod";
import { listConfirmations } from "@/server/contexts/control/api";
import { signedInProcedure } from "@/server/trpc/init";
import { controlStateOutput } from "./schemas";

export const listConfirmationsInput = z
  .object({ epoch: z.number().int().min(1).optional() })
  .strict()
  .optional();

export const listConfirmationsProcedure = signedInProcedure
  .input(listConfirmationsInput)
  .output(
    z.object({
      state: controlStateOutput,
      epoch: z.number().int().nullable(),
      confirmations: z.array(
        z.object({
          instanceId: z.string(),
          worker: z.string(),
          pid: z.number().int(),
          host: z.string(),
          pausedAt: z.date(),
          stoppedAt: z.date(),
          tookMs: z.number(),
          afterPauseMs: z.number(),
          terminated: z.record(z.string(), z.number()),
        }),
      ),
      pending: z.array(z.object({ instanceId: z.string(), worker: z.string(), lastBeatAgeMs: z.number() })),
    }),
  )
  .query(({ ctx, input }) => listConfirmations({ db: ctx.db, epoch: input?.epoch }));
