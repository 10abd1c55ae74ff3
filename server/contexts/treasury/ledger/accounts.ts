// The chart of accounts, pure. Every venture has a book of its own, and so does the portfolio
// treasury; an account belongs to one book and one currency, and its id is derived from them so
// callers never need a lookup to name one (ADR 0004 describes the flows between these accounts).
import { AppError } from "@/server/shared/errors";
import { type Currency, isInt64 } from "./currency";

export const accountKinds = ["asset", "liability", "equity", "revenue", "expense"] as const;
export type AccountKind = (typeof accountKinds)[number];

/** Assets and expenses grow with debits; liabilities, equity and revenue grow with credits. */
export function normalSide(kind: AccountKind): "debit" | "credit" {
  return kind === "asset" || kind === "expense" ? "debit" : "credit";
}

/**
 * TigerBeetle's balance flags plus a floor. With debitsMustNotExceedCredits the account's
 * credits_posted - debits_posted - debits_pending never goes below floorMinor; with
 * creditsMustNotExceedDebits, debits_posted - credits_posted - credits_pending never does.
 * Without a flag the floor is not used. A negative floor is an allowed overdraft (or a cap on how
 * far the other side may run, e.g. an expense category capped at -floorMinor).
 */
export type AccountLimits = {
  debitsMustNotExceedCredits: boolean;
  creditsMustNotExceedDebits: boolean;
  floorMinor: bigint;
};

export type AccountSpec = AccountLimits & { code: string; kind: AccountKind };

/** A venture's book, or the portfolio treasury's book when ventureId is null. */
export type Book = { portfolioId: string; ventureId: string | null };

export function bookIdOf(book: Book): string {
  return book.ventureId ?? book.portfolioId;
}

export function accountId(options: { bookId: string; code: string; currency: Currency }): string {
  return `${options.bookId}:${options.code}:${options.currency}`;
}

const unconstrained = {
  debitsMustNotExceedCredits: false,
  creditsMustNotExceedDebits: false,
  floorMinor: 0n,
};
/** A debit-normal account that can never be overdrawn: available (debits - credits - pending credits) >= 0. */
const neverOverdrawn = {
  debitsMustNotExceedCredits: false,
  creditsMustNotExceedDebits: true,
  floorMinor: 0n,
};

/** The portfolio treasury's accounts, per currency. */
export const portfolioChart: readonly AccountSpec[] = [
  // Money on the portfolio's rails; it cannot go below zero, so allocations cannot exceed it.
  { code: "cash", kind: "asset", ...neverOverdrawn },
  // Capital the owners contributed (a deposit debits cash and credits equity).
  { code: "equity", kind: "equity", ...unconstrained },
  // What the portfolio has handed to its ventures; the mirror of each venture's `equity`, so every
  // allocation balances in both books and each book's trial balance sums to zero on its own.
  { code: "venture_funding", kind: "asset", ...unconstrained },
];

/** A venture's accounts, per currency, before its expense categories. */
export const ventureChart: readonly AccountSpec[] = [
  // The spendable budget: allocations fill it, holds reserve against it, settlements drain it.
  // Its available balance (posted - pending) is the remaining budget and cannot go below zero.
  { code: "budget", kind: "asset", ...neverOverdrawn },
  // Money the venture earned and has not yet been budgeted (revenue lands here).
  { code: "cash", kind: "asset", ...neverOverdrawn },
  // Funding received from the portfolio (mirror of the portfolio's `venture_funding`).
  { code: "equity", kind: "equity", ...unconstrained },
  { code: "revenue", kind: "revenue", ...unconstrained },
];

export const defaultExpenseCategories = [
  "models",
  "compute",
  "tools",
  "marketing",
  "services",
  "other",
] as const;

const codePattern = /^[a-z][a-z0-9_]{0,39}(:[a-z0-9_]{1,40})?$/;
const categoryPattern = /^[a-z][a-z0-9_]{0,39}$/;
const maxAccountsPerChart = 64;

export function expenseAccountCode(category: string): string {
  return `expense:${category}`;
}

/**
 * The accounts to open for one book: the standard chart, one expense account per category, and
 * any extra accounts (e.g. velocity-limit control accounts). Bad input names the field.
 */
export function chartOfAccounts(options: {
  ventureId: string | null;
  expenseCategories?: readonly string[];
  extra?: readonly AccountSpec[];
}): AccountSpec[] {
  const fields: Record<string, string> = {};
  const specs: AccountSpec[] = [...(options.ventureId === null ? portfolioChart : ventureChart)];
  if (options.ventureId !== null) {
    const categories = options.expenseCategories ?? defaultExpenseCategories;
    categories.forEach((category, i) => {
      if (!categoryPattern.test(category)) {
        fields[`expenseCategories[${i}]`] =
          "lower-case letters, digits and _, starting with a letter (at most 40)";
      } else {
        specs.push({ code: expenseAccountCode(category), kind: "expense", ...unconstrained });
      }
    });
  } else if (options.expenseCategories && options.expenseCategories.length > 0) {
    fields.expenseCategories = "only a venture's book has expense categories";
  }
  (options.extra ?? []).forEach((spec, i) => {
    const problem = specProblem(spec);
    if (problem) fields[`extra[${i}].${problem.field}`] = problem.message;
    else specs.push(spec);
  });
  const seen = new Set<string>();
  specs.forEach((spec) => {
    if (seen.has(spec.code)) fields[`accounts.${spec.code}`] = "the code appears twice in this chart";
    seen.add(spec.code);
  });
  if (specs.length > maxAccountsPerChart)
    fields.accounts = `at most ${maxAccountsPerChart} accounts per book and currency`;
  if (Object.keys(fields).length > 0) {
    throw new AppError("BAD_REQUEST", `Invalid chart of accounts: ${describeFields(fields)}`, { fields });
  }
  return specs;
}

function specProblem(spec: AccountSpec): { field: string; message: string } | null {
  if (!codePattern.test(spec.code)) {
    return { field: "code", message: "lower-case letters, digits and _, with at most one ':' qualifier" };
  }
  if (!(accountKinds as readonly string[]).includes(spec.kind)) {
    return { field: "kind", message: `one of ${accountKinds.join(", ")}` };
  }
  if (spec.debitsMustNotExceedCredits && spec.creditsMustNotExceedDebits) {
    return {
      field: "flags",
      message: "debitsMustNotExceedCredits and creditsMustNotExceedDebits exclude each other",
    };
  }
  if (typeof spec.floorMinor !== "bigint" || !isInt64(spec.floorMinor)) {
    return { field: "floorMinor", message: "a bigint of minor units within 64 bits" };
  }
  return null;
}

export function describeFields(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([field, message]) => `${field} ${message}`)
    .join("; ");
}
