// A money intent made on behalf of a record of its own (a budget allocation, a budget transfer),
// inside the caller's transaction, so the intent and its record commit together. The record's
// idempotency key is namespaced ("allocation:…", "transfer:…"), so a spend and a budget move never
// answer for each other.
import type { Tx } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { createIntent } from "./create-intent";
import type { MoneyIntentView } from "./intent-view";

/** The tables whose rows stand for an intent made here. */
type RecordTable = "treasury_allocations" | "treasury_budget_transfers";

/**
 * Creates the intent, or returns the one already made with the key. `existed` says which: the
 * caller writes its record only for a new intent. An advisory lock on the key, held to commit,
 * makes "did this key exist before us" race-free; a key already taken by an intent that is not one
 * of `recordTable`'s (another kind of request) is a CONFLICT naming the caller's key.
 */
export async function createIntentFor(
  tx: Tx,
  options: Parameters<typeof createIntent>[0] & {
    input: { portfolioId: string; idempotencyKey: string };
    recordTable: RecordTable;
    /** The key as the caller gave it, for the error. */
    requestedKey: string | null | undefined;
  },
): Promise<{ intent: MoneyIntentView; existed: boolean }> {
  const { portfolioId, idempotencyKey } = options.input;
  await tx.$executeRawUnsafe(
    "SELECT pg_advisory_xact_lock(hashtextextended($1, 42))",
    `${portfolioId}:${idempotencyKey}`,
  );
  const [before] = await tx.$queryRawUnsafe<Array<{ id: string }>>(
    "SELECT id FROM money_intents WHERE portfolio_id = $1 AND idempotency_key = $2",
    portfolioId,
    idempotencyKey,
  );
  const intent = await createIntent(options);
  if (!before) return { intent, existed: false };
  const [known] = await tx.$queryRawUnsafe<unknown[]>(
    `SELECT 1 FROM ${options.recordTable} WHERE intent_id = $1`,
    intent.id,
  );
  if (!known) {
    throw new AppError("CONFLICT", `Idempotency key ${options.requestedKey} belongs to another intent`, {
      fields: { idempotencyKey: "already used" },
    });
  }
  return { intent, existed: true };
}
