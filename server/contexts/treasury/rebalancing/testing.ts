// Helpers for the rebalancing integration tests: a role fixture with funded ventures, and ledger
// history written in the past (raw writers: the ledger's triggers keep balances and daily totals,
// on the entry's own day), so burn, runway and revenue growth have something to measure.
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import type { PolicyPrincipal } from "@/server/contexts/policy/api";
import { type Db, withTransaction } from "@/server/shared/db";
import type { Role } from "@/server/shared/events/catalog";
import { type RoleFixture, roleFixture } from "@/server/trpc/fixtures";
import { fundVenture } from "../intents/testing";

export type RebalancingFixture = RoleFixture & {
  requester(role?: Role): PolicyPrincipal;
  as(role: Role): { actor: { type: "user"; id: string }; correlationId: string };
  /** A venture of the fixture's portfolio, created `ageDays` ago, with `budgetMinor` USD of budget. */
  venture(
    name: string,
    options?: { budgetMinor?: bigint; ageDays?: number; currency?: string },
  ): Promise<string>;
};

export async function rebalancingFixture(db: Db): Promise<RebalancingFixture> {
  const base = await roleFixture(db);
  return {
    ...base,
    requester: (role = "founder") => ({
      kind: "user",
      userId: base.principals[role].userId,
      portfolioId: base.portfolioId,
      portfolioRole: role,
    }),
    as: (role) => ({
      actor: { type: "user", id: base.principals[role].userId },
      correlationId: `cor_rebalancing_${role}`,
    }),
    async venture(name, options = {}) {
      const { id } = await createVenture({
        db,
        actor: { type: "system", id: "test" },
        correlationId: "cor_rebalancing",
        portfolioId: base.portfolioId,
        name: `${name} ${Math.random().toString(36).slice(2, 7)}`,
        goal: null,
      });
      if (options.currency && options.currency !== "USD") {
        await db.$executeRawUnsafe("UPDATE ventures SET currency = $2 WHERE id = $1", id, options.currency);
      }
      if (options.ageDays) {
        await db.$executeRawUnsafe(
          "UPDATE ventures SET created_at = now() - make_interval(days => $2) WHERE id = $1",
          id,
          options.ageDays,
        );
      }
      if (options.budgetMinor) await fundVenture(db, base.portfolioId, id, options.budgetMinor);
      return id;
    },
  };
}

/**
 * A two-posting entry in a venture's USD book dated `daysAgo` days back, written straight into the
 * ledger's tables as any raw writer may (balances and daily totals follow by trigger).
 */
export async function backdatedEntry(
  db: Db,
  options: {
    portfolioId: string;
    ventureId: string;
    id: string;
    daysAgo: number;
    debit: string;
    credit: string;
    amountMinor: bigint;
  },
): Promise<void> {
  await withTransaction(db, async (tx) => {
    await tx.$executeRawUnsafe(
      `INSERT INTO ledger_entries (id, portfolio_id, posting_count, memo, created_at)
       VALUES ($1, $2, 2, 'rebalancing test history', now() - make_interval(days => $3))`,
      options.id,
      options.portfolioId,
      options.daysAgo,
    );
    await tx.$executeRawUnsafe(
      `INSERT INTO ledger_postings (entry_id, posting_count, seq, account_id, book_id, currency, amount_minor)
       VALUES ($1, 2, 0, $2, $4, 'USD', $5::bigint), ($1, 2, 1, $3, $4, 'USD', -$5::bigint)`,
      options.id,
      `${options.ventureId}:${options.debit}:USD`,
      `${options.ventureId}:${options.credit}:USD`,
      options.ventureId,
      options.amountMinor,
    );
  });
}

/** Spend from the budget (an expense) and revenue into cash, on a day in the past. */
export const history = {
  spend: (db: Db, portfolioId: string, ventureId: string, amountMinor: bigint, daysAgo: number) =>
    backdatedEntry(db, {
      portfolioId,
      ventureId,
      id: `${ventureId}-spend-${daysAgo}-${amountMinor}`,
      daysAgo,
      debit: "expense:models",
      credit: "budget",
      amountMinor,
    }),
  revenue: (db: Db, portfolioId: string, ventureId: string, amountMinor: bigint, daysAgo: number) =>
    backdatedEntry(db, {
      portfolioId,
      ventureId,
      id: `${ventureId}-sale-${daysAgo}-${amountMinor}`,
      daysAgo,
      debit: "cash",
      credit: "revenue",
      amountMinor,
    }),
};
