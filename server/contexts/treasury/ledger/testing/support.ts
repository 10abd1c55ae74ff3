// Helpers shared by the ledger's integration tests.
import { expect } from "vitest";
import { type Db, withTransaction } from "@/server/shared/db";
import { AppError, type ErrorCode } from "@/server/shared/errors";
import { newId } from "@/server/shared/ids";
import { openAccounts } from "../open-accounts";
import { postEntry } from "../post-entries";

/** A fresh portfolio with one venture, both books open in USD (and EUR for the venture), funded. */
export async function fundedVenture(
  db: Db,
  options: { treasuryMinor?: bigint; budgetMinor?: bigint } = {},
): Promise<{
  portfolioId: string;
  ventureId: string;
  acct: (code: string, currency?: string) => string;
  p: (code: string) => string;
}> {
  const portfolioId = newId("portfolio");
  const ventureId = newId("venture");
  await withTransaction(db, async (tx) => {
    await openAccounts(tx, { portfolioId, currency: "USD" });
    await openAccounts(tx, { portfolioId, ventureId, currency: "USD", expenseCategories: ["models", "ads"] });
    await openAccounts(tx, { portfolioId, ventureId, currency: "EUR", expenseCategories: ["models", "ads"] });
  });
  const acct = (code: string, currency = "USD") => `${ventureId}:${code}:${currency}`;
  const p = (code: string) => `${portfolioId}:${code}:USD`;
  const treasury = options.treasuryMinor ?? 1_000_000n;
  const budget = options.budgetMinor ?? 100_000n;
  await postEntry(db, {
    id: `${portfolioId}-deposit`,
    postings: [
      { accountId: p("cash"), amountMinor: treasury },
      { accountId: p("equity"), amountMinor: -treasury },
    ],
  });
  if (budget > 0n) {
    await postEntry(db, {
      id: `${ventureId}-allocation`,
      postings: [
        { accountId: acct("budget"), amountMinor: budget },
        { accountId: acct("equity"), amountMinor: -budget },
        { accountId: p("venture_funding"), amountMinor: budget },
        { accountId: p("cash"), amountMinor: -budget },
      ],
    });
  }
  return { portfolioId, ventureId, acct, p };
}

/** Awaits a refusal and checks it is the AppError asked for; returns it for further checks. */
export async function refused(attempt: Promise<unknown>, code: ErrorCode, field?: string): Promise<AppError> {
  const error = await attempt.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, "expected the ledger to refuse").toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect(appError.code, appError.message).toBe(code);
  if (field) expect(appError.details.fields ?? {}, appError.message).toHaveProperty([field]);
  return appError;
}

/** Everything the ledger stores, as one string: equal before and after means nothing was written. */
export async function ledgerFingerprint(db: Db): Promise<string> {
  const rows = await db.$queryRawUnsafe<Array<{ fingerprint: string }>>(
    `SELECT concat_ws('|',
       (SELECT count(*) FROM ledger_entries), (SELECT count(*) FROM ledger_postings),
       (SELECT count(*) FROM ledger_holds), (SELECT count(*) FROM ledger_hold_resolutions),
       (SELECT count(*) FROM ledger_open_holds), (SELECT count(*) FROM ledger_accounts),
       (SELECT string_agg(concat_ws(' ', id, debits_posted, credits_posted, debits_pending, credits_pending), ',' ORDER BY id)
          FROM ledger_accounts)) AS fingerprint`,
  );
  return rows[0]!.fingerprint;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
