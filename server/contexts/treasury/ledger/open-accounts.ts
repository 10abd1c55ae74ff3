import { AppError } from "@/server/shared/errors";
import { type AccountBalance, type AccountRow, accountColumns, toAccountBalance } from "./account-rows";
import { type AccountSpec, accountId, bookIdOf, chartOfAccounts, describeFields } from "./accounts";
import { type Currency, isCurrency } from "./currency";
import { type LedgerTx, runLedgerSql } from "./sql";

const ownerIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

export type OpenedAccounts = {
  /** Every account of the book in this currency, existing or new, ordered by id. */
  accounts: AccountBalance[];
  /** The ones this call created (empty when the chart was already open): record these as an event. */
  created: AccountBalance[];
};

/**
 * Opens the chart of accounts of one book (a venture, or the portfolio treasury when ventureId is
 * null) in one currency, idempotently: accounts that exist are left alone, and an existing account
 * whose attributes differ from the chart is a CONFLICT rather than a silent mismatch. Runs in the
 * caller's transaction; concurrent calls for the same book both succeed and create each account once.
 */
export async function openAccounts(
  tx: LedgerTx,
  options: {
    portfolioId: string;
    ventureId?: string | null;
    currency: string;
    expenseCategories?: readonly string[];
    extra?: readonly AccountSpec[];
  },
): Promise<OpenedAccounts> {
  const ventureId = options.ventureId ?? null;
  const fields: Record<string, string> = {};
  if (typeof options.portfolioId !== "string" || !ownerIdPattern.test(options.portfolioId)) {
    fields.portfolioId = "a portfolio id (letters, digits, _ and -)";
  }
  if (ventureId !== null && (typeof ventureId !== "string" || !ownerIdPattern.test(ventureId))) {
    fields.ventureId = "a venture id (letters, digits, _ and -)";
  }
  if (typeof options.currency !== "string" || !isCurrency(options.currency)) {
    fields.currency = "an ISO 4217 code the ledger knows (e.g. USD, EUR, JPY)";
  }
  if (Object.keys(fields).length > 0) {
    throw new AppError("BAD_REQUEST", `Cannot open accounts: ${describeFields(fields)}`, { fields });
  }
  const currency = options.currency as Currency;
  const specs = chartOfAccounts({
    ventureId,
    ...(options.expenseCategories === undefined ? {} : { expenseCategories: options.expenseCategories }),
    ...(options.extra === undefined ? {} : { extra: options.extra }),
  });
  const bookId = bookIdOf({ portfolioId: options.portfolioId, ventureId });
  const ids = specs.map((spec) => accountId({ bookId, code: spec.code, currency }));

  const inserted = await runLedgerSql<{ id: string }>(
    tx,
    `INSERT INTO ledger_accounts (id, portfolio_id, venture_id, book_id, code, currency, kind,
       debits_must_not_exceed_credits, credits_must_not_exceed_debits, floor_minor)
     SELECT t.id, $2, $3, $4, t.code, $5, t.kind, t.dmnec, t.cmned, t.floor_minor
       FROM unnest($1::text[], $6::text[], $7::text[], $8::boolean[], $9::boolean[], $10::bigint[])
              AS t(id, code, kind, dmnec, cmned, floor_minor)
     -- No conflict target: the (id, book_id, currency) key that postings reference is unique too,
     -- and a concurrent opener may trip either index first.
     ON CONFLICT DO NOTHING
     RETURNING id`,
    [
      ids,
      options.portfolioId,
      ventureId,
      bookId,
      currency,
      specs.map((s) => s.code),
      specs.map((s) => s.kind),
      specs.map((s) => s.debitsMustNotExceedCredits),
      specs.map((s) => s.creditsMustNotExceedDebits),
      specs.map((s) => s.floorMinor.toString()),
    ],
  );
  // A second statement, so its snapshot also sees accounts a concurrent opener committed while
  // our insert waited on them.
  const rows = await runLedgerSql<AccountRow>(
    tx,
    `SELECT ${accountColumns} FROM ledger_accounts WHERE id = ANY($1::text[]) ORDER BY id`,
    [ids],
  );
  const accounts = rows.map(toAccountBalance);
  const byId = new Map(accounts.map((a) => [a.id, a]));
  specs.forEach((spec, i) => {
    const id = ids[i]!;
    const account = byId.get(id);
    const mismatch = !account
      ? "missing after insert"
      : account.portfolioId !== options.portfolioId
        ? `belongs to portfolio ${account.portfolioId}`
        : account.ventureId !== ventureId
          ? `belongs to venture ${account.ventureId}`
          : account.kind !== spec.kind
            ? `is of kind ${account.kind}, not ${spec.kind}`
            : account.debitsMustNotExceedCredits !== spec.debitsMustNotExceedCredits ||
                account.creditsMustNotExceedDebits !== spec.creditsMustNotExceedDebits ||
                account.floorMinor !== spec.floorMinor
              ? "has other flags or another floor"
              : null;
    if (mismatch) {
      throw new AppError("CONFLICT", `Account ${id} already exists and ${mismatch}; accounts never change`, {
        reason: "account_mismatch",
        accountId: id,
      });
    }
  });
  const createdIds = new Set(inserted.map((r) => r.id));
  return { accounts, created: accounts.filter((a) => createdIds.has(a.id)) };
}
