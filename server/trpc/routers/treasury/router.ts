import { TRPCError } from "@trpc/server";
import { z } from "zod";
import {
  approveIntent,
  createIntent,
  denyIntent,
  freezeTreasury,
  getIntent,
  listFreezes,
  listIntents,
  unfreezeTreasury,
} from "@/server/contexts/treasury/intents/api";
import { createTRPCRouter, portfolioProcedure } from "@/server/trpc/init";
import { fundingProcedures } from "./funding";
import { treasuryRailsProcedures } from "./rails-procedures";
import { reportProcedures } from "./reports";
import {
  createIntentInput,
  decideIntentInput,
  freezeInput,
  freezeOutput,
  getIntentInput,
  intentOutput,
  listIntentsInput,
  portfolioInput,
  toIntentOutput,
} from "./schemas";

export const treasuryRouter = createTRPCRouter({
  createIntent: portfolioProcedure("intent.create")
    .input(createIntentInput)
    .output(intentOutput)
    .mutation(async ({ ctx, input }) =>
      toIntentOutput(
        await createIntent({
          db: ctx.db,
          actor: ctx.actor,
          correlationId: ctx.correlationId,
          requester: {
            kind: "user",
            userId: ctx.principal.userId,
            portfolioId: ctx.portfolioId,
            portfolioRole: ctx.role,
          },
          input,
        }),
      ),
    ),
  listIntents: portfolioProcedure("intent.read")
    .input(listIntentsInput)
    .output(z.array(intentOutput))
    .query(async ({ ctx, input }) => (await listIntents({ db: ctx.db, ...input })).map(toIntentOutput)),
  getIntent: portfolioProcedure("intent.read")
    .input(getIntentInput)
    .output(intentOutput)
    .query(async ({ ctx, input }) => {
      const intent = await getIntent({ db: ctx.db, ...input });
      if (!intent)
        throw new TRPCError({ code: "NOT_FOUND", message: `Money intent ${input.intentId} not found` });
      return toIntentOutput(intent);
    }),
  approveIntent: portfolioProcedure("intent.decide")
    .input(decideIntentInput)
    .output(intentOutput)
    .mutation(async ({ ctx, input }) =>
      toIntentOutput(
        await approveIntent({
          db: ctx.db,
          actor: ctx.actor,
          correlationId: ctx.correlationId,
          decider: { userId: ctx.principal.userId, role: ctx.role },
          ...input,
        }),
      ),
    ),
  denyIntent: portfolioProcedure("intent.decide")
    .input(decideIntentInput)
    .output(intentOutput)
    .mutation(async ({ ctx, input }) =>
      toIntentOutput(
        await denyIntent({
          db: ctx.db,
          actor: ctx.actor,
          correlationId: ctx.correlationId,
          decider: { userId: ctx.principal.userId, role: ctx.role },
          ...input,
        }),
      ),
    ),
  freeze: portfolioProcedure("treasury.freeze")
    .input(freezeInput)
    .output(freezeOutput)
    .mutation(({ ctx, input }) =>
      freezeTreasury({
        db: ctx.db,
        actor: ctx.actor,
        correlationId: ctx.correlationId,
        role: ctx.role,
        portfolioId: input.portfolioId,
        ventureId: input.ventureId ?? null,
        reason: input.reason,
      }),
    ),
  unfreeze: portfolioProcedure("treasury.freeze")
    .input(freezeInput)
    .output(freezeOutput.nullable())
    .mutation(({ ctx, input }) =>
      unfreezeTreasury({
        db: ctx.db,
        actor: ctx.actor,
        correlationId: ctx.correlationId,
        role: ctx.role,
        portfolioId: input.portfolioId,
        ventureId: input.ventureId ?? null,
        reason: input.reason,
      }),
    ),
  getFreezes: portfolioProcedure("intent.read")
    .input(portfolioInput)
    .output(z.array(freezeOutput))
    .query(({ ctx, input }) => listFreezes({ db: ctx.db, portfolioId: input.portfolioId })),
  // Rails, revenue and reconciliation (ADR 0011).
  ...treasuryRailsProcedures,
  // Deposits, allocations, balances and reports (ADR 0012).
  ...fundingProcedures,
  ...reportProcedures,
});
