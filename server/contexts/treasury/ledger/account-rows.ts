// Reading account rows: one column list and one parser, so every read returns the same shape.
// Money leaves SQL as text and becomes bigint here (exact with Prisma and bare pg alike).
import { invariant } from "@/server/shared/errors";
import { type AccountKind, type AccountLimits, accountKinds } from "./accounts";
import { type Currency, isCurrency, parseMinor } from "./currency";
import { availableMinor, type Balances, headroomMinor, postedMinor } from "./limits";

export type LedgerAccount = AccountLimits & {
  id: string;
  portfolioId: string;
  ventureId: string | null;
  bookId: string;
  code: string;
  currency: Currency;
  kind: AccountKind;
};

export type AccountBalance = LedgerAccount &
  Balances & {
    /** Posted balance on the account's normal side. */
    postedMinor: bigint;
    /** Posted minus amounts held against the account, on its normal side. */
    availableMinor: bigint;
    /** How far the flagged side may still go before its floor; null when the account has no flag. */
    headroomMinor: bigint | null;
  };

export const accountColumns = `id, portfolio_id, venture_id, book_id, code, currency::text AS currency, kind,
  debits_must_not_exceed_credits, credits_must_not_exceed_debits, floor_minor::text AS floor_minor,
  debits_posted::text AS debits_posted, credits_posted::text AS credits_posted,
  debits_pending::text AS debits_pending, credits_pending::text AS credits_pending`;

export type AccountRow = {
  id: string;
  portfolio_id: string;
  venture_id: string | null;
  book_id: string;
  code: string;
  currency: string;
  kind: string;
  debits_must_not_exceed_credits: boolean;
  credits_must_not_exceed_debits: boolean;
  floor_minor: string;
  debits_posted: string;
  credits_posted: string;
  debits_pending: string;
  credits_pending: string;
};

export function toAccountBalance(row: AccountRow): AccountBalance {
  const currency = row.currency;
  invariant(isCurrency(currency), `account ${row.id} has a known currency (${currency})`);
  invariant(
    (accountKinds as readonly string[]).includes(row.kind),
    `account ${row.id} has a known kind (${row.kind})`,
  );
  const kind = row.kind as AccountKind;
  const limits: AccountLimits = {
    debitsMustNotExceedCredits: row.debits_must_not_exceed_credits,
    creditsMustNotExceedDebits: row.credits_must_not_exceed_debits,
    floorMinor: parseMinor(row.floor_minor),
  };
  const balances: Balances = {
    debitsPostedMinor: parseMinor(row.debits_posted),
    creditsPostedMinor: parseMinor(row.credits_posted),
    debitsPendingMinor: parseMinor(row.debits_pending),
    creditsPendingMinor: parseMinor(row.credits_pending),
  };
  const headroom = headroomMinor(limits, balances);
  // Assert after the read: the database CHECK makes this impossible, so a failure is corruption.
  invariant(headroom === null || headroom >= 0n, `account ${row.id} is within its floor`);
  return {
    id: row.id,
    portfolioId: row.portfolio_id,
    ventureId: row.venture_id,
    bookId: row.book_id,
    code: row.code,
    currency,
    kind,
    ...limits,
    ...balances,
    postedMinor: postedMinor(kind, balances),
    availableMinor: availableMinor(kind, balances),
    headroomMinor: headroom,
  };
}
