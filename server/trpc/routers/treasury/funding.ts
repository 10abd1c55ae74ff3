// Treasury funding procedures (ADR 0012): deposits into the portfolio treasury (finance controllers
// and admins), budget allocations to a venture (requested like any money intent, by founders and
// admins, approved in the inbox), and what a venture's book holds. Spread into the treasury router.
import {
  allocateBudget,
  listAllocations,
  listDeposits,
  recordDeposit,
} from "@/server/contexts/treasury/funding/api";
import { ventureBalances } from "@/server/contexts/treasury/reports/api";
import { portfolioProcedure } from "@/server/trpc/init";
import {
  allocateInput,
  allocationOutput,
  allocationSummaryOutput,
  depositInput,
  depositOutput,
  listAllocationsInput,
  listDepositsInput,
  toAllocationOutput,
  toDepositOutput,
  ventureBalancesOutput,
  ventureInput,
} from "./funding-schemas";

export const fundingProcedures = {
  deposit: portfolioProcedure("treasury.deposit")
    .input(depositInput)
    .output(depositOutput)
    .mutation(async ({ ctx, input }) =>
      toDepositOutput(
        await recordDeposit({
          db: ctx.db,
          actor: ctx.actor,
          correlationId: ctx.correlationId,
          depositedBy: ctx.principal.userId,
          input,
        }),
      ),
    ),
  listDeposits: portfolioProcedure("ledger.read")
    .input(listDepositsInput)
    .output(depositOutput.array())
    .query(async ({ ctx, input }) => (await listDeposits({ db: ctx.db, ...input })).map(toDepositOutput)),
  allocate: portfolioProcedure("intent.create")
    .input(allocateInput)
    .output(allocationOutput)
    .mutation(async ({ ctx, input }) =>
      toAllocationOutput(
        await allocateBudget({
          db: ctx.db,
          actor: ctx.actor,
          correlationId: ctx.correlationId,
          requester: {
            kind: "user",
            userId: ctx.principal.userId,
            portfolioId: ctx.portfolioId,
            portfolioRole: ctx.role,
          },
          input: { ...input, portfolioId: ctx.portfolioId },
        }),
      ),
    ),
  listAllocations: portfolioProcedure("intent.read")
    .input(listAllocationsInput)
    .output(allocationSummaryOutput.array())
    .query(async ({ ctx, input }) =>
      (await listAllocations({ db: ctx.db, ...input })).map((a) => ({
        ...a,
        amountMinor: a.amountMinor.toString(),
      })),
    ),
  ventureBalances: portfolioProcedure("ledger.read")
    .input(ventureInput)
    .output(ventureBalancesOutput)
    .query(({ ctx, input }) => ventureBalances({ db: ctx.db, ventureId: input.ventureId })),
};
