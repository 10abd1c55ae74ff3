// Capital into a portfolio treasury (ADR 0012): one transaction that validates, deduplicates by
// idempotency key, opens the treasury's accounts in the currency, posts the entry (treasury cash
// debited, owners' equity credited) and appends its events. Incoming money needs no policy
// decision, but the kill-switch stops the treasury entirely, deposits included (CTRL-003).
import { assertNotPaused } from "@/server/contexts/control/api";
import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { accountId } from "../ledger/accounts";
import { postEntry } from "../ledger/post-entries";
import { ledgerEvents, recordAccountsOpened } from "../ledger/record";
import { type DepositRow, type DepositView, depositColumns, toDepositView } from "./deposit-view";
import { depositRequestHash, parseDepositInput } from "./funding-input";

/**
 * Records a deposit, or returns the one already recorded under the same idempotency key with the
 * same content (a retried request deposits once). Same key, other content → CONFLICT naming the
 * field; bad input → BAD_REQUEST naming the fields; paused → UNPROCESSABLE. Nothing is written then.
 */
export async function recordDeposit(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  /** The person (or token owner) making the deposit. */
  depositedBy: string;
  input: Record<string, unknown>;
}): Promise<DepositView> {
  const input = parseDepositInput(options.input);
  const hash = depositRequestHash(input);
  return withTransaction(options.db, async (tx) => {
    // Concurrent requests with one key queue here; the second finds the first's deposit.
    await tx.$executeRawUnsafe(
      "SELECT pg_advisory_xact_lock(hashtextextended($1, 43))",
      `${input.portfolioId}:deposit:${input.idempotencyKey}`,
    );
    const [existing] = await tx.$queryRawUnsafe<DepositRow[]>(
      `SELECT ${depositColumns} FROM treasury_deposits WHERE portfolio_id = $1 AND idempotency_key = $2`,
      input.portfolioId,
      input.idempotencyKey,
    );
    if (existing) {
      if (existing.request_hash === hash) return toDepositView(existing);
      throw new AppError(
        "CONFLICT",
        `Idempotency key ${input.idempotencyKey} was already used for a different deposit (${existing.id})`,
        { fields: { idempotencyKey: "already used with different content" }, depositId: existing.id },
      );
    }
    await assertPortfolio(tx, input.portfolioId);
    await assertNotPaused(tx, "Recording a deposit");

    const id = `dep_${newId("event").slice(4)}`;
    const ctx = { actor: options.actor, correlationId: options.correlationId };
    await recordAccountsOpened(tx, ctx, { portfolioId: input.portfolioId, currency: input.currency });
    const account = (code: string) =>
      accountId({ bookId: input.portfolioId, code, currency: input.currency });
    const entry = await postEntry(tx, {
      id,
      memo: `deposit: ${input.source}`.slice(0, 500),
      postings: [
        { accountId: account("cash"), amountMinor: input.amountMinor },
        { accountId: account("equity"), amountMinor: -input.amountMinor },
      ],
    });
    await appendEvents(tx, ctx, [
      ledgerEvents.entryPosted(entry),
      {
        type: "treasury.deposit_recorded",
        stream: { type: "treasury_deposit", id },
        expectedVersion: 0,
        portfolioId: input.portfolioId,
        payload: {
          depositId: id,
          portfolioId: input.portfolioId,
          amountMinor: input.amountMinor.toString(),
          currency: input.currency,
          source: input.source,
          idempotencyKey: input.idempotencyKey,
          entryId: entry.entryId,
          depositedBy: options.depositedBy,
        },
      },
    ]);
    const [row] = await tx.$queryRawUnsafe<DepositRow[]>(
      `INSERT INTO treasury_deposits (id, portfolio_id, amount_minor, currency, source, idempotency_key,
         request_hash, entry_id, deposited_by, created_at)
       VALUES ($1, $2, $3::bigint, $4, $5, $6, $7, $8, $9, now())
       RETURNING ${depositColumns}`,
      id,
      input.portfolioId,
      input.amountMinor,
      input.currency,
      input.source,
      input.idempotencyKey,
      hash,
      entry.entryId,
      options.depositedBy,
    );
    return toDepositView(row!);
  });
}

async function assertPortfolio(tx: Tx, portfolioId: string): Promise<void> {
  const rows = await tx.$queryRawUnsafe<unknown[]>("SELECT 1 FROM portfolios WHERE id = $1", portfolioId);
  if (rows.length === 0) {
    throw new AppError("NOT_FOUND", `Portfolio ${portfolioId} not found`, {
      fields: { portfolioId: "unknown portfolio" },
    });
  }
}
