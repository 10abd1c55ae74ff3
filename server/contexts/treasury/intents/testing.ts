// Helpers for the money intent integration tests: a role fixture with a venture whose budget is
// funded through the ledger and whose counterparty allowlist holds "acme".
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import type { PolicyPrincipal } from "@/server/contexts/policy/api";
import { type Db, withTransaction } from "@/server/shared/db";
import type { Role } from "@/server/shared/events/catalog";
import { type RoleFixture, roleFixture } from "@/server/trpc/fixtures";
import { openAccounts } from "../ledger/open-accounts";
import { postEntry } from "../ledger/post-entries";
import { allowCounterparty } from "./counterparties";
import { createIntent } from "./create-intent";

export type IntentFixture = RoleFixture & {
  ventureId: string;
  requester(role?: Role): PolicyPrincipal;
  as(role: Role): { actor: { type: "user"; id: string }; correlationId: string };
};

export async function fundedIntentFixture(db: Db, budgetMinor = 1_000_000n): Promise<IntentFixture> {
  const base = await roleFixture(db);
  const venture = await createVenture({
    db,
    actor: { type: "system", id: "test" },
    correlationId: "cor_intents",
    portfolioId: base.portfolioId,
    name: `Intent venture ${Math.random().toString(36).slice(2, 8)}`,
    goal: null,
  });
  await fundVenture(db, base.portfolioId, venture.id, budgetMinor);
  await allowCounterparty({ db, ventureId: venture.id, counterpartyId: "acme" });
  return {
    ...base,
    ventureId: venture.id,
    requester: (role = "founder") => ({
      kind: "user",
      userId: base.principals[role].userId,
      portfolioId: base.portfolioId,
      portfolioRole: role,
    }),
    as: (role) => ({
      actor: { type: "user", id: base.principals[role].userId },
      correlationId: `cor_test_${role}`,
    }),
  };
}

/** Opens both books in USD and moves budgetMinor from the treasury into the venture's budget. */
export async function fundVenture(db: Db, portfolioId: string, ventureId: string, budgetMinor: bigint) {
  const p = (code: string) => `${portfolioId}:${code}:USD`;
  const v = (code: string) => `${ventureId}:${code}:USD`;
  await withTransaction(db, async (tx) => {
    await openAccounts(tx, { portfolioId, currency: "USD" });
    await openAccounts(tx, { portfolioId, ventureId, currency: "USD" });
    await postEntry(tx, {
      id: `${ventureId}-deposit`,
      postings: [
        { accountId: p("cash"), amountMinor: budgetMinor },
        { accountId: p("equity"), amountMinor: -budgetMinor },
      ],
    });
    await postEntry(tx, {
      id: `${ventureId}-allocation`,
      postings: [
        { accountId: v("budget"), amountMinor: budgetMinor },
        { accountId: v("equity"), amountMinor: -budgetMinor },
        { accountId: p("venture_funding"), amountMinor: budgetMinor },
        { accountId: p("cash"), amountMinor: -budgetMinor },
      ],
    });
  });
}

/**
 * For the role x procedure matrix: the venture funded, one four-eyes intent (a finance controller
 * then an admin approve it), pending intents to deny one per call, and a venture to freeze.
 */
export async function treasuryMatrixFixture(
  db: Db,
  options: { portfolioId: string; ventureId: string; founderUserId: string },
): Promise<{ fourEyesIntentId: string; nextDenyIntentId(): string; freezeVentureId: string }> {
  const { portfolioId, ventureId } = options;
  await fundVenture(db, portfolioId, ventureId, 10_000_000n);
  await allowCounterparty({ db, ventureId, counterpartyId: "acme" });
  const requester: PolicyPrincipal = {
    kind: "user",
    userId: options.founderUserId,
    portfolioId,
    portfolioRole: "founder",
  };
  const ask = async (amountMinor: string, key: string) =>
    (
      await createIntent({
        db,
        actor: { type: "user", id: options.founderUserId },
        correlationId: "cor_matrix_intents",
        requester,
        input: {
          portfolioId,
          ventureId,
          amountMinor,
          currency: "USD",
          counterparty: "acme",
          category: "model_inference",
          purpose: "Matrix intent",
          idempotencyKey: `matrix-${key}`,
        },
      })
    ).id;
  const fourEyesIntentId = await ask("600000", "four-eyes");
  const denyIds: string[] = [];
  for (let i = 0; i < 8; i++) denyIds.push(await ask("60000", `deny-${i}`));
  const freezeVenture = await createVenture({
    db,
    actor: { type: "system", id: "test" },
    correlationId: "cor_matrix_intents",
    portfolioId,
    name: `Freeze venture ${Math.random().toString(36).slice(2, 8)}`,
    goal: null,
  });
  return {
    fourEyesIntentId,
    nextDenyIntentId: () => denyIds.shift() ?? "mi_exhausted",
    freezeVentureId: freezeVenture.id,
  };
}
