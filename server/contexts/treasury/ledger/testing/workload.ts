// Random ledger workloads for property tests: a small world of books and accounts, and operation
// sequences over it that include refusals (overdrafts, unbalanced and cross-ledger entries, double
// resolutions). The same operations drive the in-memory model and the database.
import fc from "fast-check";
import { type AccountSpec, accountId, bookIdOf, chartOfAccounts } from "../accounts";
import { type EntryInput, reversalPostings } from "../balancing";
import type { Currency } from "../currency";
import type { HoldInput } from "../holds";
import type { LedgerModel, ModelAccount } from "../model";

export const worldPortfolioId = "pf_model";
export const worldVentureIds = ["ven_a", "ven_b"] as const;
export const worldCurrencies: readonly Currency[] = ["USD", "JPY"];
export const worldExpenseCategories = ["models", "ads"] as const;

/** Extra accounts beyond the standard chart: a capped expense (negative floor). */
export const worldExtraAccounts: readonly AccountSpec[] = [
  {
    code: "expense:capped",
    kind: "expense",
    debitsMustNotExceedCredits: true,
    creditsMustNotExceedDebits: false,
    floorMinor: -5_000n,
  },
];

export type WorldBook = { portfolioId: string; ventureId: string | null; bookId: string };

export function worldBooks(
  portfolioId = worldPortfolioId,
  ventureIds: readonly string[] = worldVentureIds,
): WorldBook[] {
  return [null, ...ventureIds].map((ventureId) => ({
    portfolioId,
    ventureId,
    bookId: bookIdOf({ portfolioId, ventureId }),
  }));
}

export function worldAccounts(
  books: readonly WorldBook[] = worldBooks(),
): Array<Omit<ModelAccount, "balances">> {
  const accounts: Array<Omit<ModelAccount, "balances">> = [];
  for (const book of books) {
    for (const currency of worldCurrencies) {
      const specs = chartOfAccounts({
        ventureId: book.ventureId,
        ...(book.ventureId === null
          ? {}
          : { expenseCategories: worldExpenseCategories, extra: worldExtraAccounts }),
      });
      for (const spec of specs) {
        accounts.push({
          id: accountId({ bookId: book.bookId, code: spec.code, currency }),
          portfolioId: book.portfolioId,
          bookId: book.bookId,
          currency,
          kind: spec.kind,
          debitsMustNotExceedCredits: spec.debitsMustNotExceedCredits,
          creditsMustNotExceedDebits: spec.creditsMustNotExceedDebits,
          floorMinor: spec.floorMinor,
        });
      }
    }
  }
  return accounts;
}

/** An operation before it is tied to the world: indexes are taken modulo what exists. */
export type OpTemplate =
  | { kind: "deposit"; book: number; currency: number; amount: bigint }
  | { kind: "allocate"; venture: number; currency: number; amount: bigint }
  | {
      kind: "entry";
      ledger: number;
      picks: number[];
      amounts: bigint[];
      stray: number | null;
      unbalance: bigint;
    }
  | { kind: "spend"; venture: number; currency: number; category: number; amount: bigint; ttlMinutes: number }
  | { kind: "hold"; ledger: number; debit: number; credit: number; amount: bigint; ttlMinutes: number }
  | { kind: "post"; hold: number; amount: bigint | null }
  | { kind: "void"; hold: number }
  | { kind: "reverse"; entry: number }
  | { kind: "advance"; minutes: number }
  | { kind: "expire"; limit: number };

const amount = fc.bigInt({ min: 1n, max: 20_000n });

export function opTemplate(options: { withTime: boolean }): fc.Arbitrary<OpTemplate> {
  const ops: Array<{ arbitrary: fc.Arbitrary<OpTemplate>; weight: number }> = [
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("deposit" as const),
        book: fc.nat(),
        currency: fc.nat(),
        amount,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("allocate" as const),
        venture: fc.nat(),
        currency: fc.nat(),
        amount,
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("entry" as const),
        ledger: fc.nat(),
        picks: fc.array(fc.nat(), { minLength: 2, maxLength: 3 }),
        amounts: fc.array(amount, { minLength: 3, maxLength: 3 }),
        // Mostly none; sometimes a posting strays onto another ledger.
        stray: fc.oneof({ arbitrary: fc.constant(null), weight: 9 }, { arbitrary: fc.nat(), weight: 1 }),
        unbalance: fc.oneof(
          { arbitrary: fc.constant(0n), weight: 6 },
          { arbitrary: fc.bigInt({ min: 1n, max: 5n }), weight: 1 },
        ),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("spend" as const),
        venture: fc.nat(),
        currency: fc.nat(),
        category: fc.nat(),
        amount,
        ttlMinutes: fc.integer({ min: 1, max: 60 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("hold" as const),
        ledger: fc.nat(),
        debit: fc.nat(),
        credit: fc.nat(),
        amount,
        ttlMinutes: fc.integer({ min: 1, max: 60 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("post" as const),
        hold: fc.nat(),
        amount: fc.oneof(fc.constant(null), amount),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("void" as const), hold: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("reverse" as const), entry: fc.nat() }) },
  ];
  if (options.withTime) {
    ops.push(
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant("advance" as const),
          minutes: fc.integer({ min: 1, max: 60 }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({ kind: fc.constant("expire" as const), limit: fc.integer({ min: 1, max: 5 }) }),
      },
    );
  }
  return fc.oneof(...ops);
}

/** Money to work with: the treasury is funded in every currency and allocates to every venture. */
export function seedOps(books: readonly WorldBook[] = worldBooks(), idPrefix = ""): ConcreteOp[] {
  const portfolio = books.find((b) => b.ventureId === null)!;
  const ops: ConcreteOp[] = [];
  for (const currency of worldCurrencies) {
    const find = (bookId: string, code: string) => accountId({ bookId, code, currency });
    ops.push({
      kind: "entries",
      entries: [
        {
          id: `${idPrefix}seed_deposit_${currency}`,
          memo: "owners' capital",
          postings: [
            { accountId: find(portfolio.bookId, "cash"), amountMinor: 1_000_000n },
            { accountId: find(portfolio.bookId, "equity"), amountMinor: -1_000_000n },
          ],
        },
      ],
    });
    for (const venture of books.filter((b) => b.ventureId !== null)) {
      ops.push({
        kind: "entries",
        entries: [
          {
            id: `${idPrefix}seed_alloc_${venture.bookId}_${currency}`,
            memo: "initial budget",
            postings: [
              { accountId: find(venture.bookId, "budget"), amountMinor: 50_000n },
              { accountId: find(venture.bookId, "equity"), amountMinor: -50_000n },
              { accountId: find(portfolio.bookId, "venture_funding"), amountMinor: 50_000n },
              { accountId: find(portfolio.bookId, "cash"), amountMinor: -50_000n },
            ],
          },
        ],
      });
    }
  }
  return ops;
}

export type ConcreteOp =
  | { kind: "entries"; entries: EntryInput[] }
  | { kind: "hold"; hold: HoldInput }
  | { kind: "post"; holdId: string; amountMinor?: bigint }
  | { kind: "void"; holdId: string }
  | { kind: "advance"; ms: number }
  | { kind: "expire"; limit: number };

type Ledger = { bookId: string; currency: Currency; accounts: Array<Omit<ModelAccount, "balances">> };

function ledgersOf(accounts: ReadonlyArray<Omit<ModelAccount, "balances">>): Ledger[] {
  const byKey = new Map<string, Ledger>();
  for (const a of accounts) {
    const key = `${a.bookId} ${a.currency}`;
    const ledger = byKey.get(key) ?? { bookId: a.bookId, currency: a.currency, accounts: [] };
    ledger.accounts.push(a);
    byKey.set(key, ledger);
  }
  return [...byKey.values()];
}

/** Ties a template to the world as it is now (the model gives the existing holds and entries). */
export function concreteOp(
  template: OpTemplate,
  step: number,
  world: {
    accounts: ReadonlyArray<Omit<ModelAccount, "balances">>;
    books: readonly WorldBook[];
    model: LedgerModel;
    now: Date;
    /** Prefixed to entry and hold ids, so several runs can share one database. */
    idPrefix?: string;
  },
): ConcreteOp | null {
  const entryId = `${world.idPrefix ?? ""}e${step}`;
  const holdId = `${world.idPrefix ?? ""}h${step}`;
  const ledgers = ledgersOf(world.accounts);
  const find = (bookId: string, code: string, currency: Currency) => accountId({ bookId, code, currency });
  const currencyAt = (i: number) => worldCurrencies[i % worldCurrencies.length]!;
  switch (template.kind) {
    case "deposit": {
      const book = world.books[template.book % world.books.length]!;
      const currency = currencyAt(template.currency);
      // The treasury receives capital; a venture receives revenue.
      const source = book.ventureId === null ? "equity" : "revenue";
      return {
        kind: "entries",
        entries: [
          {
            id: entryId,
            memo: "deposit",
            postings: [
              { accountId: find(book.bookId, "cash", currency), amountMinor: template.amount },
              { accountId: find(book.bookId, source, currency), amountMinor: -template.amount },
            ],
          },
        ],
      };
    }
    case "allocate": {
      const ventures = world.books.filter((b) => b.ventureId !== null);
      const venture = ventures[template.venture % ventures.length]!;
      const portfolio = world.books.find((b) => b.ventureId === null)!;
      const currency = currencyAt(template.currency);
      return {
        kind: "entries",
        entries: [
          {
            id: entryId,
            memo: "allocation",
            postings: [
              { accountId: find(venture.bookId, "budget", currency), amountMinor: template.amount },
              { accountId: find(venture.bookId, "equity", currency), amountMinor: -template.amount },
              {
                accountId: find(portfolio.bookId, "venture_funding", currency),
                amountMinor: template.amount,
              },
              { accountId: find(portfolio.bookId, "cash", currency), amountMinor: -template.amount },
            ],
          },
        ],
      };
    }
    case "entry": {
      const ledger = ledgers[template.ledger % ledgers.length]!;
      const picked = [...new Set(template.picks.map((p) => ledger.accounts[p % ledger.accounts.length]!.id))];
      if (picked.length < 2) return null;
      if (template.stray !== null) {
        // A posting on another ledger: the entry no longer balances per book and currency.
        const other = world.accounts[template.stray % world.accounts.length]!;
        if (!picked.includes(other.id)) picked[picked.length - 1] = other.id;
      }
      const amounts = picked
        .slice(0, -1)
        .map((_, i) => (i % 2 === 0 ? template.amounts[i]! : -template.amounts[i]!));
      const last = -amounts.reduce((s, a) => s + a, 0n) + template.unbalance;
      if (last === 0n) return null;
      return {
        kind: "entries",
        entries: [
          {
            id: entryId,
            postings: [...amounts, last].map((amountMinor, i) => ({ accountId: picked[i]!, amountMinor })),
          },
        ],
      };
    }
    case "spend": {
      const ventures = world.books.filter((b) => b.ventureId !== null);
      const venture = ventures[template.venture % ventures.length]!;
      const currency = currencyAt(template.currency);
      const categories = [...worldExpenseCategories, "capped"];
      const category = categories[template.category % categories.length]!;
      return {
        kind: "hold",
        hold: {
          id: holdId,
          debitAccountId: find(venture.bookId, `expense:${category}`, currency),
          creditAccountId: find(venture.bookId, "budget", currency),
          amountMinor: template.amount,
          expiresAt: new Date(world.now.getTime() + template.ttlMinutes * 60_000),
        },
      };
    }
    case "hold": {
      const ledger = ledgers[template.ledger % ledgers.length]!;
      const debit = ledger.accounts[template.debit % ledger.accounts.length]!.id;
      const credit = ledger.accounts[template.credit % ledger.accounts.length]!.id;
      if (debit === credit) return null;
      return {
        kind: "hold",
        hold: {
          id: holdId,
          debitAccountId: debit,
          creditAccountId: credit,
          amountMinor: template.amount,
          expiresAt: new Date(world.now.getTime() + template.ttlMinutes * 60_000),
        },
      };
    }
    case "post":
    case "void": {
      const holds = [...world.model.holds.keys()];
      if (holds.length === 0) return null;
      const target = holds[template.hold % holds.length]!;
      if (template.kind === "void") return { kind: "void", holdId: target };
      return template.amount === null
        ? { kind: "post", holdId: target }
        : { kind: "post", holdId: target, amountMinor: template.amount };
    }
    case "reverse": {
      const entries = [...world.model.entries.values()];
      if (entries.length === 0) return null;
      const original = entries[template.entry % entries.length]!;
      return {
        kind: "entries",
        entries: [
          {
            id: entryId,
            memo: `reversal of ${original.id}`,
            reversalOf: original.id,
            postings: reversalPostings(original.postings),
          },
        ],
      };
    }
    case "advance":
      return { kind: "advance", ms: template.minutes * 60_000 };
    case "expire":
      return { kind: "expire", limit: template.limit };
  }
}
