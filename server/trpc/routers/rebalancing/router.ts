// Portfolio rebalancing (ORCH-007, ADR 0016): every venture's burn, runway and revenue growth with
// the recommendations drawn from them (every role reads), budget transfers between two ventures
// (founders, finance controllers and admins request them; they are money intents approved in the
// inbox like any other), and the list of transfers.
import {
  listTransfers,
  rebalancingOverview,
  transferBudget,
} from "@/server/contexts/treasury/rebalancing/api";
import { createTRPCRouter, portfolioProcedure } from "@/server/trpc/init";
import {
  listTransfersInput,
  recommendationsInput,
  recommendationsOutput,
  requestTransferInput,
  toTransferOutput,
  toTransferSummaryOutput,
  transferOutput,
  transferSummaryOutput,
} from "./schemas";

export const rebalancingRouter = createTRPCRouter({
  recommendations: portfolioProcedure("ledger.read")
    .input(recommendationsInput)
    .output(recommendationsOutput)
    .query(({ ctx, input }) => rebalancingOverview({ db: ctx.db, portfolioId: input.portfolioId })),
  requestTransfer: portfolioProcedure("budget.transfer")
    .input(requestTransferInput)
    .output(transferOutput)
    .mutation(async ({ ctx, input }) =>
      toTransferOutput(
        await transferBudget({
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
  listTransfers: portfolioProcedure("intent.read")
    .input(listTransfersInput)
    .output(transferSummaryOutput.array())
    .query(async ({ ctx, input }) =>
      (await listTransfers({ db: ctx.db, ...input })).map(toTransferSummaryOutput),
    ),
});
