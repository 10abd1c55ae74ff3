// Helpers for the rails integration tests and the role x procedure matrix.
import type { Db } from "@/server/shared/db";
import { createIntent } from "../intents/api";
import { runReconciliation } from "./run-reconciliation";
import { createRails, type Rails, type TreasurySettings } from "./settings";

export function testTreasurySettings(overrides: Partial<TreasurySettings> = {}): TreasurySettings {
  return {
    defaultRail: "sandbox",
    sandbox: { settleMs: 0, failCounterparties: ["bad-bank"], failureRate: 0 },
    stripe: null,
    stripeWebhookSecret: null,
    reconcileEverySeconds: 3_600,
    velocity: { windowSeconds: 60, maxIntents: 1_000, maxAmountMinor: 1_000_000_000n },
    burn: { windowSeconds: 3_600, factor: 5, minMinor: 1_000_000_000n },
    ...overrides,
  };
}

export function testRails(db: Db, overrides: Partial<TreasurySettings> = {}): Rails {
  return createRails(db, testTreasurySettings(overrides));
}

/** For the role x procedure matrix: one reconciliation run of the portfolio to read. */
export async function railsMatrixFixture(db: Db, portfolioId: string): Promise<{ runId: string }> {
  const to = new Date();
  const run = await runReconciliation({
    db,
    rails: testRails(db),
    actor: { type: "system", id: "test" },
    correlationId: "cor_matrix_rails",
    portfolioId,
    rail: "sandbox",
    from: new Date(to.getTime() - 86_400_000),
    to,
    trigger: "request",
    requestedBy: "test",
  });
  return { runId: run.id };
}

/**
 * For the role x procedure matrix: approved payments (within the automatic limit) to void, one per
 * call. Run after treasuryMatrixFixture, which funds the venture and allows acme.
 */
export async function voidMatrixFixture(
  db: Db,
  options: { portfolioId: string; ventureId: string; founderUserId: string },
): Promise<{ nextVoidIntentId(): string }> {
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const intent = await createIntent({
      db,
      actor: { type: "user", id: options.founderUserId },
      correlationId: "cor_matrix_void",
      requester: {
        kind: "user",
        userId: options.founderUserId,
        portfolioId: options.portfolioId,
        portfolioRole: "founder",
      },
      input: {
        portfolioId: options.portfolioId,
        ventureId: options.ventureId,
        amountMinor: "1000",
        currency: "USD",
        counterparty: "acme",
        category: "saas",
        purpose: "Matrix payment to void",
        idempotencyKey: `matrix-void-${i}`,
      },
    });
    ids.push(intent.id);
  }
  return { nextVoidIntentId: () => ids.shift() ?? "mi_exhausted" };
}
