// Treasury procedures for rails, revenue and reconciliation (TREAS-008/009, ADR 0011), spread into
// the treasury router. Thin: validate, call one use-case, return a declared output.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import {
  createRails,
  getReconciliation,
  listReconciliations,
  type Rails,
  type ReceiptView,
  type ReconciliationView,
  receiveSandboxPayment,
  runReconciliation,
  treasurySettingsFromEnv,
  voidPayout,
} from "@/server/contexts/treasury/rails/api";
import type { Db } from "@/server/shared/db";
import { loadEnv } from "@/server/shared/env";
import { railNames } from "@/server/shared/events/catalog/treasury-rails";
import { portfolioProcedure } from "@/server/trpc/init";
import { decideIntentInput, intentOutput, toIntentOutput } from "./schemas";

const railsByDb = new WeakMap<Db, Rails>();

/** The web process's rails, from the environment, one set per database client. */
export function webRails(db: Db): Rails {
  let rails = railsByDb.get(db);
  if (!rails) {
    rails = createRails(db, treasurySettingsFromEnv(loadEnv()));
    railsByDb.set(db, rails);
  }
  return rails;
}

const dateTime = z.iso.datetime({ offset: true }).describe("an ISO 8601 date-time with offset");

export const reconcileInput = z
  .object({
    portfolioId: z.string().min(1),
    rail: z.enum(railNames).optional().describe("default: the rail approved intents are paid through"),
    from: dateTime.optional().describe("default: 7 days before `to`"),
    to: dateTime.optional().describe("default: now"),
    /** Freeze the ventures (or the portfolio) a break belongs to. Default true. */
    freezeOnBreak: z.boolean().optional(),
  })
  .strict();

export const reconciliationRunInput = z
  .object({ portfolioId: z.string().min(1), runId: z.string().min(1) })
  .strict();

export const listReconciliationsInput = z
  .object({ portfolioId: z.string().min(1), limit: z.number().int().min(1).max(200).optional() })
  .strict();

export const reconciliationOutput = z.object({
  id: z.string(),
  portfolioId: z.string(),
  rail: z.enum(railNames),
  from: z.date(),
  to: z.date(),
  status: z.enum(["balanced", "breaks", "failed"]),
  matched: z.number().int(),
  inTransit: z.number().int(),
  mismatchCount: z.number().int(),
  mismatches: z.array(
    z.object({
      kind: z.enum(["missing_on_rail", "missing_in_ledger", "amount_differs"]),
      railReference: z.string(),
      ventureId: z.string().nullable(),
      currency: z.string(),
      ledgerAmountMinor: z.string().nullable(),
      railAmountMinor: z.string().nullable(),
      detail: z.string(),
    }),
  ),
  findingIds: z.array(z.string()),
  frozen: z.array(z.string()),
  error: z.string().nullable(),
  trigger: z.enum(["schedule", "request"]),
  requestedBy: z.string(),
  startedAt: z.date(),
  finishedAt: z.date(),
});

export const sandboxPaymentInput = z
  .object({
    portfolioId: z.string().min(1),
    ventureId: z.string().min(1),
    amountMinor: z.string().describe("a positive integer of minor units, as a string of digits"),
    currency: z.string(),
    customer: z.string().nullish(),
    idempotencyKey: z.string(),
  })
  .strict();

export const receiptOutput = z.object({
  receiptId: z.string(),
  portfolioId: z.string(),
  ventureId: z.string(),
  rail: z.literal("sandbox"),
  railReference: z.string(),
  amountMinor: z.string(),
  currency: z.string(),
  entryId: z.string(),
  duplicate: z.boolean(),
});

const toReconciliationOutput = (run: ReconciliationView) => run;
const toReceiptOutput = (receipt: ReceiptView) => ({
  ...receipt,
  amountMinor: receipt.amountMinor.toString(),
});

export const treasuryRailsProcedures = {
  reconcile: portfolioProcedure("treasury.reconcile")
    .input(reconcileInput)
    .output(reconciliationOutput)
    .mutation(async ({ ctx, input }) => {
      const rails = webRails(ctx.db);
      const to = input.to ? new Date(input.to) : new Date();
      const from = input.from ? new Date(input.from) : new Date(to.getTime() - 7 * 86_400_000);
      return toReconciliationOutput(
        await runReconciliation({
          db: ctx.db,
          rails,
          actor: ctx.actor,
          correlationId: ctx.correlationId,
          portfolioId: input.portfolioId,
          rail: input.rail ?? rails.defaultRail,
          from,
          to,
          trigger: "request",
          requestedBy: ctx.actor.id,
          freezeOnBreak: input.freezeOnBreak ?? true,
        }),
      );
    }),
  listReconciliations: portfolioProcedure("treasury.reconcile")
    .input(listReconciliationsInput)
    .output(z.array(reconciliationOutput))
    .query(async ({ ctx, input }) =>
      (await listReconciliations({ db: ctx.db, ...input })).map(toReconciliationOutput),
    ),
  getReconciliation: portfolioProcedure("treasury.reconcile")
    .input(reconciliationRunInput)
    .output(reconciliationOutput)
    .query(async ({ ctx, input }) => {
      const run = await getReconciliation({ db: ctx.db, ...input });
      if (!run)
        throw new TRPCError({ code: "NOT_FOUND", message: `Reconciliation run ${input.runId} not found` });
      return toReconciliationOutput(run);
    }),
  receiveSandboxPayment: portfolioProcedure("revenue.sandbox")
    .input(sandboxPaymentInput)
    .output(receiptOutput)
    .mutation(async ({ ctx, input }) =>
      toReceiptOutput(
        await receiveSandboxPayment({
          db: ctx.db,
          rails: webRails(ctx.db),
          actor: ctx.actor,
          correlationId: ctx.correlationId,
          input,
        }),
      ),
    ),
  /** Void the hold of an approved payment that was never sent to the rail (UJ-3), with a note. */
  voidPayout: portfolioProcedure("intent.decide")
    .input(decideIntentInput)
    .output(intentOutput)
    .mutation(async ({ ctx, input }) =>
      toIntentOutput(
        await voidPayout({
          db: ctx.db,
          actor: ctx.actor,
          correlationId: ctx.correlationId,
          decider: { userId: ctx.principal.userId, role: ctx.role },
          defaultRail: webRails(ctx.db).defaultRail,
          ...input,
        }),
      ),
    ),
};
