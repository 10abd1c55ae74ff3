// Fixtures for orchestration and agent integration tests: a portfolio with the default policies,
// a provisioned venture whose ledger budget holds a given amount, and a helper to wait for state.
// Everything goes through the real use-cases and the real ledger (STYLE 20: never mock our own).

import { createPortfolio } from "@/server/contexts/orchestration/create-portfolio";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { provisionVenture } from "@/server/contexts/orchestration/provision-venture";
import { seedDefaultPolicies } from "@/server/contexts/policy/seed-default-policies";
import { accountId } from "@/server/contexts/treasury/ledger/accounts";
import { recordAccountsOpened, recordEntry } from "@/server/contexts/treasury/ledger/record";
import { type Db, withTransaction } from "@/server/shared/db";
import { newId } from "@/server/shared/ids";

export const systemActor = { type: "system" as const, id: "test" };

export async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  what = "condition",
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A portfolio with the default policy sets installed (tool calls are default-deny without them). */
export async function portfolioWithPolicies(
  db: Db,
  name = `Portfolio ${Math.random().toString(36).slice(2, 8)}`,
) {
  const { portfolioId } = await createPortfolio({
    db,
    actor: systemActor,
    correlationId: "cor_fixture",
    name,
  });
  await seedDefaultPolicies({ db, actor: systemActor, correlationId: "cor_fixture", portfolioId });
  return portfolioId;
}

/** Opens the venture's USD book and puts `budgetMinor` into its budget account. */
export async function fundVenture(
  db: Db,
  portfolioId: string,
  ventureId: string,
  budgetMinor: bigint,
): Promise<void> {
  await withTransaction(db, async (tx) => {
    const ctx = { actor: systemActor, correlationId: "cor_fixture" };
    await recordAccountsOpened(tx, ctx, { portfolioId, ventureId, currency: "USD" });
    if (budgetMinor > 0n) {
      await recordEntry(tx, ctx, {
        id: `fund:${newId("correlation")}`,
        memo: "test budget",
        postings: [
          {
            accountId: accountId({ bookId: ventureId, code: "budget", currency: "USD" }),
            amountMinor: budgetMinor,
          },
          {
            accountId: accountId({ bookId: ventureId, code: "equity", currency: "USD" }),
            amountMinor: -budgetMinor,
          },
        ],
      });
    }
  });
}

/** A provisioned venture (ready for dispatch) with a funded budget. */
export async function readyVenture(
  db: Db,
  portfolioId: string,
  options: { name?: string; budgetMinor?: bigint; goal?: string | null } = {},
): Promise<string> {
  const venture = await createVenture({
    db,
    actor: systemActor,
    correlationId: "cor_fixture",
    portfolioId,
    name: options.name ?? `Venture ${Math.random().toString(36).slice(2, 8)}`,
    goal: options.goal ?? null,
  });
  await withTransaction(db, (tx) =>
    provisionVenture({
      tx,
      actor: systemActor,
      correlationId: "cor_fixture",
      causationId: "evt_fixture",
      ventureId: venture.id,
    }),
  );
  await fundVenture(db, portfolioId, venture.id, options.budgetMinor ?? 100_000n);
  return venture.id;
}

export async function taskStatuses(db: Db, workstreamId: string): Promise<Record<string, string>> {
  const rows = await db.$queryRawUnsafe<Array<{ key: string; status: string }>>(
    "SELECT key, status FROM tasks WHERE workstream_id = $1",
    workstreamId,
  );
  return Object.fromEntries(rows.map((r) => [r.key, r.status]));
}
