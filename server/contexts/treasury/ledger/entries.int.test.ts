import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTransaction } from "@/server/shared/db";
import type { CommandContext } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { openTestServices, type TestServices } from "@/test/services";
import { getBalances } from "./get-balances";
import { openAccounts } from "./open-accounts";
import { postEntry } from "./post-entries";
import { recordAccountsOpened, recordEntry } from "./record";
import { reverseEntry } from "./reverse-entry";
import { fundedVenture, ledgerFingerprint, refused } from "./testing/support";
import { trialBalance } from "./trial-balance";
import { verifyLedger } from "./verify-ledger";

let s: TestServices;
const ctx: CommandContext = { actor: { type: "system", id: "test" }, correlationId: "cor_ledger_test" };

beforeAll(async () => {
  s = await openTestServices();
});
afterAll(async () => {
  await s.close();
});

/** Runs SQL on a connection of its own, outside Prisma, as a careless or hostile writer would. */
async function rawSql(sql: string, params: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: s.databaseUrl });
  await client.connect();
  try {
    await client.query(sql, params);
  } finally {
    await client.end();
  }
}

describe("chart of accounts", () => {
  it("opens a book's chart once, however often and concurrently it is asked", async () => {
    const portfolioId = newId("portfolio");
    const ventureId = newId("venture");
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        withTransaction(s.db, (tx) => openAccounts(tx, { portfolioId, ventureId, currency: "USD" })),
      ),
    );
    const created = results.flatMap((r) => r.created.map((a) => a.id));
    expect(created).toHaveLength(new Set(created).size);
    expect(results[0]!.accounts.map((a) => a.code).sort()).toEqual(
      [
        "budget",
        "cash",
        "equity",
        "revenue",
        "expense:models",
        "expense:compute",
        "expense:tools",
        "expense:marketing",
        "expense:services",
        "expense:other",
      ].sort(),
    );
    expect(created).toHaveLength(10);
  });

  it("refuses an unknown currency and a bad id, naming the field", async () => {
    await refused(
      withTransaction(s.db, (tx) => openAccounts(tx, { portfolioId: "pf_1", currency: "DOGE" })),
      "BAD_REQUEST",
      "currency",
    );
    await refused(
      withTransaction(s.db, (tx) => openAccounts(tx, { portfolioId: "pf:1", currency: "USD" })),
      "BAD_REQUEST",
      "portfolioId",
    );
  });

  it("records the accounts it created as one event, and nothing when they existed", async () => {
    const portfolioId = newId("portfolio");
    const first = await withTransaction(s.db, (tx) =>
      recordAccountsOpened(tx, ctx, { portfolioId, currency: "JPY" }),
    );
    expect(first.events).toHaveLength(1);
    expect(first.events[0]!.type).toBe("treasury.accounts_opened");
    expect(first.events[0]!.payload).toMatchObject({ portfolioId, ventureId: null, currency: "JPY" });
    const again = await withTransaction(s.db, (tx) =>
      recordAccountsOpened(tx, ctx, { portfolioId, currency: "JPY" }),
    );
    expect(again.events).toEqual([]);
  });
});

describe("journal entries", () => {
  it("posts a balanced entry and moves balances by exactly its postings", async () => {
    const v = await fundedVenture(s.db);
    await postEntry(s.db, {
      id: newId("correlation"),
      memo: "customer payment",
      postings: [
        { accountId: v.acct("cash"), amountMinor: 2_500n },
        { accountId: v.acct("revenue"), amountMinor: -2_500n },
      ],
    });
    const [cash, revenue, budget] = await getBalances(s.db, {
      accountIds: [v.acct("cash"), v.acct("revenue"), v.acct("budget")],
    });
    expect(cash).toMatchObject({ debitsPostedMinor: 2_500n, postedMinor: 2_500n, availableMinor: 2_500n });
    expect(revenue).toMatchObject({ creditsPostedMinor: 2_500n, postedMinor: 2_500n });
    expect(budget).toMatchObject({ availableMinor: 100_000n, headroomMinor: 100_000n });
    const venture = await trialBalance(s.db, { ventureId: v.ventureId });
    expect(venture.currencies.map((c) => [c.currency, c.netPostedMinor])).toEqual([
      ["EUR", 0n],
      ["USD", 0n],
    ]);
    const portfolio = await trialBalance(s.db, { portfolioId: v.portfolioId });
    expect(portfolio.currencies.find((c) => c.currency === "USD")).toMatchObject({
      debitsPostedMinor: 1_000_000n + 100_000n * 2n + 2_500n,
      netPostedMinor: 0n,
    });
  });

  it("records an entry with its event in the same transaction", async () => {
    const v = await fundedVenture(s.db);
    const { entry, event } = await withTransaction(s.db, (tx) =>
      recordEntry(tx, ctx, {
        id: newId("correlation"),
        postings: [
          { accountId: v.acct("cash"), amountMinor: 10n },
          { accountId: v.acct("revenue"), amountMinor: -10n },
        ],
      }),
    );
    expect(event.type).toBe("treasury.entry_posted");
    expect(event.portfolioId).toBe(v.portfolioId);
    expect(event.payload).toEqual({
      entryId: entry.entryId,
      memo: null,
      reversalOf: null,
      postings: [
        { accountId: v.acct("cash"), currency: "USD", amountMinor: "10" },
        { accountId: v.acct("revenue"), currency: "USD", amountMinor: "-10" },
      ],
    });
  });

  it("refuses an overdraft, naming the account and the shortfall, and writes nothing", async () => {
    const v = await fundedVenture(s.db, { budgetMinor: 1_000n });
    const before = await ledgerFingerprint(s.db);
    const error = await refused(
      postEntry(s.db, {
        id: newId("correlation"),
        postings: [
          { accountId: v.acct("expense:ads"), amountMinor: 1_250n },
          { accountId: v.acct("budget"), amountMinor: -1_250n },
        ],
      }),
      "UNPROCESSABLE",
    );
    expect(error.message).toContain(v.acct("budget"));
    expect(error.details).toMatchObject({
      accountId: v.acct("budget"),
      shortfallMinor: "250",
      availableMinor: "1000",
    });
    expect(await ledgerFingerprint(s.db)).toBe(before);
  });

  it("names the field of every kind of bad input, and writes nothing", async () => {
    const v = await fundedVenture(s.db);
    const other = await fundedVenture(s.db);
    const before = await ledgerFingerprint(s.db);
    const id = newId("correlation");
    const entry = (postings: Array<[string, bigint]>) =>
      postEntry(s.db, {
        id,
        postings: postings.map(([accountId, amountMinor]) => ({ accountId, amountMinor })),
      });

    await refused(
      entry([
        [v.acct("cash"), 0n],
        [v.acct("revenue"), 0n],
      ]),
      "BAD_REQUEST",
      "postings[0].amountMinor",
    );
    await refused(
      entry([
        [v.acct("cash"), 5n],
        [v.acct("revenue"), -4n],
      ]),
      "BAD_REQUEST",
      "postings",
    );
    await refused(entry([[v.acct("cash"), 5n]]), "BAD_REQUEST", "postings");
    await refused(
      entry([
        [v.acct("cash"), 5n],
        [`${v.ventureId}:nope:USD`, -5n],
      ]),
      "NOT_FOUND",
      "postings[1].accountId",
    );
    // Currency mismatch: the amounts net to zero but not per currency.
    const mismatch = await refused(
      entry([
        [v.acct("cash"), 5n],
        [v.acct("revenue", "EUR"), -5n],
      ]),
      "BAD_REQUEST",
      "postings",
    );
    expect(mismatch.details).toMatchObject({ reason: "unbalanced", currency: "USD" });
    // Balanced overall but across two books: each book must balance on its own.
    await refused(
      entry([
        [v.acct("cash"), 5n],
        [v.p("equity"), -5n],
      ]),
      "BAD_REQUEST",
      "postings",
    );
    // Two portfolios in one entry.
    await refused(
      entry([
        [v.acct("cash"), 5n],
        [v.acct("revenue"), -5n],
        [other.acct("cash"), 5n],
        [other.acct("revenue"), -5n],
      ]),
      "BAD_REQUEST",
      "postings",
    );
    await refused(
      postEntry(s.db, {
        id: "bad id!",
        postings: [
          { accountId: v.acct("cash"), amountMinor: 1n },
          { accountId: v.acct("revenue"), amountMinor: -1n },
        ],
      }),
      "BAD_REQUEST",
      "id",
    );
    expect(await ledgerFingerprint(s.db)).toBe(before);
  });

  it("refuses to post an entry id twice", async () => {
    const v = await fundedVenture(s.db);
    const input = {
      id: newId("correlation"),
      postings: [
        { accountId: v.acct("cash"), amountMinor: 7n },
        { accountId: v.acct("revenue"), amountMinor: -7n },
      ],
    };
    await postEntry(s.db, input);
    await refused(postEntry(s.db, input), "CONFLICT", "id");
    const [cash] = await getBalances(s.db, { accountIds: [v.acct("cash")] });
    expect(cash!.debitsPostedMinor).toBe(7n);
  });

  it("corrects by reversal: an exact negation pointing at the original, once", async () => {
    const v = await fundedVenture(s.db);
    const original = await postEntry(s.db, {
      id: newId("correlation"),
      postings: [
        { accountId: v.acct("expense:models"), amountMinor: 300n },
        { accountId: v.acct("budget"), amountMinor: -300n },
      ],
    });
    const reversal = await reverseEntry(s.db, { id: newId("correlation"), entryId: original.entryId });
    expect(reversal.reversalOf).toBe(original.entryId);
    expect(reversal.postings.map((p) => p.amountMinor)).toEqual([-300n, 300n]);
    const [budget, expense] = await getBalances(s.db, {
      accountIds: [v.acct("budget"), v.acct("expense:models")],
    });
    expect(budget!.availableMinor).toBe(100_000n);
    expect(expense!.postedMinor).toBe(0n);
    await refused(
      reverseEntry(s.db, { id: newId("correlation"), entryId: original.entryId }),
      "CONFLICT",
      "reversalOf",
    );
    await refused(
      reverseEntry(s.db, { id: newId("correlation"), entryId: "no-such-entry" }),
      "NOT_FOUND",
      "entryId",
    );
    const another = await postEntry(s.db, {
      id: newId("correlation"),
      postings: [
        { accountId: v.acct("expense:models"), amountMinor: 50n },
        { accountId: v.acct("budget"), amountMinor: -50n },
      ],
    });
    await refused(
      postEntry(s.db, {
        id: newId("correlation"),
        reversalOf: another.entryId,
        postings: [
          { accountId: v.acct("expense:models"), amountMinor: -40n },
          { accountId: v.acct("budget"), amountMinor: 40n },
        ],
      }),
      "BAD_REQUEST",
      "postings",
    );
  });
});

describe("what the database refuses, whoever writes", () => {
  it("refuses an unbalanced entry inserted by raw SQL, at commit", async () => {
    const v = await fundedVenture(s.db);
    const before = await ledgerFingerprint(s.db);
    await expect(
      rawSql(
        `BEGIN;
         INSERT INTO ledger_entries (id, portfolio_id, posting_count) VALUES ('raw-unbalanced', '${v.portfolioId}', 2);
         INSERT INTO ledger_postings VALUES
           ('raw-unbalanced', 2, 0, '${v.acct("cash")}', '${v.ventureId}', 'USD', 500),
           ('raw-unbalanced', 2, 1, '${v.acct("revenue")}', '${v.ventureId}', 'USD', -499);
         COMMIT;`,
      ),
    ).rejects.toThrow(/does not balance/);
    expect(await ledgerFingerprint(s.db)).toBe(before);
  });

  it("refuses raw SQL that declares more postings than it writes, or adds one to a committed entry", async () => {
    const v = await fundedVenture(s.db);
    await expect(
      rawSql(
        `BEGIN;
         INSERT INTO ledger_entries (id, portfolio_id, posting_count) VALUES ('raw-short', '${v.portfolioId}', 3);
         INSERT INTO ledger_postings VALUES
           ('raw-short', 3, 0, '${v.acct("cash")}', '${v.ventureId}', 'USD', 500),
           ('raw-short', 3, 1, '${v.acct("revenue")}', '${v.ventureId}', 'USD', -500);
         COMMIT;`,
      ),
    ).rejects.toThrow(/declares 3 postings but has 2/);
    const posted = await postEntry(s.db, {
      id: newId("correlation"),
      postings: [
        { accountId: v.acct("cash"), amountMinor: 9n },
        { accountId: v.acct("revenue"), amountMinor: -9n },
      ],
    });
    await expect(
      rawSql(
        `INSERT INTO ledger_postings VALUES ('${posted.entryId}', 2, 2, '${v.acct("cash")}', '${v.ventureId}', 'USD', 1)`,
      ),
    ).rejects.toThrow(/ledger_postings_check/);
  });

  it("refuses a posting whose currency is not its account's", async () => {
    const v = await fundedVenture(s.db);
    await expect(
      rawSql(
        `BEGIN;
         INSERT INTO ledger_entries (id, portfolio_id, posting_count) VALUES ('raw-currency', '${v.portfolioId}', 2);
         INSERT INTO ledger_postings VALUES
           ('raw-currency', 2, 0, '${v.acct("cash")}', '${v.ventureId}', 'EUR', 500),
           ('raw-currency', 2, 1, '${v.acct("revenue", "EUR")}', '${v.ventureId}', 'EUR', -500);
         COMMIT;`,
      ),
    ).rejects.toThrow(/foreign key/);
  });

  it("refuses UPDATE, DELETE and TRUNCATE on entries and postings", async () => {
    const v = await fundedVenture(s.db);
    const posted = await postEntry(s.db, {
      id: newId("correlation"),
      postings: [
        { accountId: v.acct("cash"), amountMinor: 11n },
        { accountId: v.acct("revenue"), amountMinor: -11n },
      ],
    });
    const id = posted.entryId;
    await expect(
      rawSql(`UPDATE ledger_postings SET amount_minor = 12 WHERE entry_id = '${id}' AND seq = 0`),
    ).rejects.toThrow(/immutable/);
    await expect(rawSql(`DELETE FROM ledger_postings WHERE entry_id = '${id}'`)).rejects.toThrow(/immutable/);
    await expect(rawSql(`UPDATE ledger_entries SET memo = 'edited' WHERE id = '${id}'`)).rejects.toThrow(
      /immutable/,
    );
    await expect(rawSql(`DELETE FROM ledger_entries WHERE id = '${id}'`)).rejects.toThrow(/immutable/);
    await expect(rawSql("TRUNCATE ledger_postings CASCADE")).rejects.toThrow(/immutable/);
    await expect(rawSql("TRUNCATE ledger_entries CASCADE")).rejects.toThrow(/immutable/);
    expect((await verifyLedger(s.db)).ok).toBe(true);
  });

  it("refuses a balance written directly, even one that looks harmless", async () => {
    const v = await fundedVenture(s.db);
    await expect(
      rawSql(`UPDATE ledger_accounts SET debits_posted = debits_posted + 1 WHERE id = '${v.acct("cash")}'`),
    ).rejects.toThrow(/balances move only through entries and holds/);
    await expect(rawSql(`DELETE FROM ledger_accounts WHERE id = '${v.acct("cash")}'`)).rejects.toThrow(
      /immutable/,
    );
    await expect(
      rawSql(
        `INSERT INTO ledger_accounts (id, portfolio_id, venture_id, book_id, code, currency, kind,
           debits_must_not_exceed_credits, credits_must_not_exceed_debits, floor_minor, debits_posted)
         VALUES ('forged', '${v.portfolioId}', NULL, '${v.portfolioId}', 'forged', 'USD', 'asset', false, false, 0, 1000)`,
      ),
    ).rejects.toThrow(/opens with zero balances/);
  });

  it("refuses an overdraft written by raw SQL that skips the module, naming the account", async () => {
    const v = await fundedVenture(s.db, { budgetMinor: 100n });
    await expect(
      rawSql(
        `BEGIN;
         INSERT INTO ledger_entries (id, portfolio_id, posting_count) VALUES ('raw-overdraft', '${v.portfolioId}', 2);
         INSERT INTO ledger_postings VALUES
           ('raw-overdraft', 2, 0, '${v.acct("expense:ads")}', '${v.ventureId}', 'USD', 101),
           ('raw-overdraft', 2, 1, '${v.acct("budget")}', '${v.ventureId}', 'USD', -101);
         COMMIT;`,
      ),
    ).rejects.toThrow(new RegExp(`below_floor.*${v.acct("budget")}`));
    expect((await verifyLedger(s.db)).ok).toBe(true);
  });

  it("keeps the CHECK as the last word, even with the ledger's triggers switched off", async () => {
    const v = await fundedVenture(s.db, { budgetMinor: 100n });
    await expect(
      rawSql(
        `SET session_replication_role = replica;
         UPDATE ledger_accounts SET credits_posted = credits_posted + 101 WHERE id = '${v.acct("budget")}';`,
      ),
    ).rejects.toThrow(/ledger_accounts_floor_check/);
  });
});
