// The ledger as a pure, in-memory reference model composed from the rules in balancing.ts,
// limits.ts and holds.ts. Property tests drive it with random operation sequences and check the
// invariants after every step; the integration tests drive the database and this model with the
// same operations and compare them, so the SQL is held to the same rules.
import { AppError } from "@/server/shared/errors";
import type { AccountKind, AccountLimits } from "./accounts";
import {
  assertValidEntries,
  type EntryInput,
  isExactReversal,
  type LocatedPosting,
  unbalancedError,
  unbalancedLedger,
} from "./balancing";
import type { Currency } from "./currency";
import { assertValidHolds, decideHold, type HoldInput, type HoldStatus } from "./holds";
import {
  addBalances,
  type Balances,
  floorBreach,
  floorBreachError,
  withinLimits,
  zeroBalances,
} from "./limits";

export type ModelAccount = AccountLimits & {
  id: string;
  portfolioId: string;
  bookId: string;
  currency: Currency;
  kind: AccountKind;
  balances: Balances;
};

export type ModelEntry = {
  id: string;
  portfolioId: string;
  postings: LocatedPosting[];
  reversalOf: string | null;
  holdId: string | null;
};

export type ModelHold = {
  id: string;
  portfolioId: string;
  bookId: string;
  currency: Currency;
  debitAccountId: string;
  creditAccountId: string;
  amountMinor: bigint;
  expiresAt: Date;
  status: HoldStatus;
  postedMinor: bigint;
  /** How many times a resolution was recorded: the invariant is at most one. */
  resolutions: number;
};

const posted = (amountMinor: bigint): Balances =>
  amountMinor > 0n
    ? { ...zeroBalances, debitsPostedMinor: amountMinor }
    : { ...zeroBalances, creditsPostedMinor: -amountMinor };

export class LedgerModel {
  readonly accounts = new Map<string, ModelAccount>();
  readonly entries = new Map<string, ModelEntry>();
  readonly holds = new Map<string, ModelHold>();

  open(account: Omit<ModelAccount, "balances">): void {
    if (!this.accounts.has(account.id)) this.accounts.set(account.id, { ...account, balances: zeroBalances });
  }

  /** Same checks, in the same order, as postEntries and ledger_post_entries. */
  postEntries(entries: readonly EntryInput[]): ModelEntry[] {
    assertValidEntries(entries);
    for (const entry of entries) {
      if (entry.reversalOf == null) continue;
      const original = this.entries.get(entry.reversalOf);
      if (!original)
        throw new AppError("NOT_FOUND", `Entry ${entry.reversalOf} to reverse does not exist`, {
          reason: "unknown_entry",
        });
      if ([...this.entries.values()].some((e) => e.reversalOf === entry.reversalOf)) {
        throw new AppError("CONFLICT", `Entry ${entry.reversalOf} is already reversed`, {
          reason: "already_reversed",
        });
      }
      if (!isExactReversal(original.postings, entry.postings)) {
        throw new AppError("BAD_REQUEST", `Entry ${entry.id} is not the exact reversal`, {
          reason: "not_exact_reversal",
        });
      }
    }
    for (const entry of entries) {
      for (const p of entry.postings) {
        if (!this.accounts.has(p.accountId)) {
          throw new AppError("NOT_FOUND", `Account ${p.accountId} does not exist`, {
            reason: "unknown_account",
          });
        }
      }
    }
    const located = entries.map((entry) => ({
      entry,
      postings: entry.postings.map((p): LocatedPosting => {
        const account = this.accounts.get(p.accountId)!;
        return { ...p, bookId: account.bookId, currency: account.currency };
      }),
    }));
    for (const { entry, postings } of located) {
      const unbalanced = unbalancedLedger(postings);
      if (unbalanced)
        throw unbalancedError(entry.id, unbalanced.bookId, unbalanced.currency, unbalanced.sumMinor);
    }
    for (const { entry } of located) {
      const portfolios = new Set(entry.postings.map((p) => this.accounts.get(p.accountId)!.portfolioId));
      if (portfolios.size > 1)
        throw new AppError("BAD_REQUEST", `Entry ${entry.id} spans portfolios`, {
          reason: "mixed_portfolios",
        });
    }
    // The database finds a reused id when it inserts, after the checks above.
    const existing = entries.find((e) => this.entries.has(e.id));
    if (existing)
      throw new AppError("CONFLICT", `Entry ${existing.id} already exists`, { reason: "entry_exists" });
    const deltas = new Map<string, Balances>();
    for (const { postings } of located) {
      for (const p of postings)
        deltas.set(p.accountId, addBalances(deltas.get(p.accountId) ?? zeroBalances, posted(p.amountMinor)));
    }
    this.applyOrRefuse(deltas);
    return located.map(({ entry, postings }) => {
      const stored: ModelEntry = {
        id: entry.id,
        portfolioId: this.accounts.get(postings[0]!.accountId)!.portfolioId,
        postings,
        reversalOf: entry.reversalOf ?? null,
        holdId: null,
      };
      this.entries.set(entry.id, stored);
      return stored;
    });
  }

  /** Same checks, in the same order, as placeHolds and ledger_place_holds; `now` is the database clock. */
  placeHolds(holds: readonly HoldInput[], now: Date): ModelHold[] {
    assertValidHolds(holds, now);
    for (const h of holds) {
      const missing = [h.debitAccountId, h.creditAccountId].find((id) => !this.accounts.has(id));
      if (missing)
        throw new AppError("NOT_FOUND", `Account ${missing} does not exist`, { reason: "unknown_account" });
    }
    for (const h of holds) {
      const debit = this.accounts.get(h.debitAccountId)!;
      const credit = this.accounts.get(h.creditAccountId)!;
      if (debit.bookId !== credit.bookId || debit.currency !== credit.currency) {
        throw new AppError("BAD_REQUEST", `Hold ${h.id} spans ledgers`, { reason: "hold_ledger_mismatch" });
      }
    }
    const existing = holds.find((h) => this.holds.has(h.id));
    if (existing)
      throw new AppError("CONFLICT", `Hold ${existing.id} already exists`, { reason: "hold_exists" });
    const stale = holds.find((h) => h.expiresAt.getTime() <= now.getTime());
    if (stale)
      throw new AppError("BAD_REQUEST", `Hold ${stale.id} expires in the past`, {
        reason: "expiry_not_future",
      });
    const deltas = new Map<string, Balances>();
    for (const h of holds) {
      deltas.set(
        h.debitAccountId,
        addBalances(deltas.get(h.debitAccountId) ?? zeroBalances, {
          ...zeroBalances,
          debitsPendingMinor: h.amountMinor,
        }),
      );
      deltas.set(
        h.creditAccountId,
        addBalances(deltas.get(h.creditAccountId) ?? zeroBalances, {
          ...zeroBalances,
          creditsPendingMinor: h.amountMinor,
        }),
      );
    }
    this.applyOrRefuse(deltas);
    return holds.map((h) => {
      const debit = this.accounts.get(h.debitAccountId)!;
      const stored: ModelHold = {
        id: h.id,
        portfolioId: debit.portfolioId,
        bookId: debit.bookId,
        currency: debit.currency,
        debitAccountId: h.debitAccountId,
        creditAccountId: h.creditAccountId,
        amountMinor: h.amountMinor,
        expiresAt: h.expiresAt,
        status: "open",
        postedMinor: 0n,
        resolutions: 0,
      };
      this.holds.set(h.id, stored);
      return stored;
    });
  }

  postHold(holdId: string, amountMinor: bigint | undefined, now: Date): ModelHold {
    return this.resolve(
      holdId,
      amountMinor === undefined ? { kind: "post" } : { kind: "post", amountMinor },
      now,
    );
  }

  voidHold(holdId: string, now: Date): ModelHold {
    return this.resolve(holdId, { kind: "void" }, now);
  }

  /** Expires up to `limit` holds due by `now`, oldest first, like ledger_expire_holds. */
  expireHolds(now: Date, limit: number): ModelHold[] {
    const due = [...this.holds.values()]
      .filter((h) => h.status === "open" && h.expiresAt.getTime() <= now.getTime())
      .sort(
        (a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      )
      .slice(0, limit);
    return due.map((h) => this.resolve(h.id, { kind: "expire" }, now));
  }

  private resolve(holdId: string, command: Parameters<typeof decideHold>[1], now: Date): ModelHold {
    const hold = this.holds.get(holdId);
    if (!hold) throw new AppError("NOT_FOUND", `Hold ${holdId} does not exist`, { reason: "unknown_hold" });
    const decision = decideHold(hold, command, now);
    const release = new Map<string, Balances>([
      [hold.debitAccountId, { ...zeroBalances, debitsPendingMinor: -hold.amountMinor }],
      [hold.creditAccountId, { ...zeroBalances, creditsPendingMinor: -hold.amountMinor }],
    ]);
    if (decision.postedMinor > 0n) {
      release.set(
        hold.debitAccountId,
        addBalances(release.get(hold.debitAccountId)!, posted(decision.postedMinor)),
      );
      release.set(
        hold.creditAccountId,
        addBalances(release.get(hold.creditAccountId)!, posted(-decision.postedMinor)),
      );
    }
    // Releasing then posting at most what was held can only move a flagged balance up.
    this.applyOrRefuse(release);
    if (decision.postedMinor > 0n) {
      const entryId = `${hold.id}:post`;
      this.entries.set(entryId, {
        id: entryId,
        portfolioId: hold.portfolioId,
        postings: [
          {
            accountId: hold.debitAccountId,
            amountMinor: decision.postedMinor,
            bookId: hold.bookId,
            currency: hold.currency,
          },
          {
            accountId: hold.creditAccountId,
            amountMinor: -decision.postedMinor,
            bookId: hold.bookId,
            currency: hold.currency,
          },
        ],
        reversalOf: null,
        holdId: hold.id,
      });
    }
    hold.status = decision.outcome;
    hold.postedMinor = decision.postedMinor;
    hold.resolutions += 1;
    return hold;
  }

  /** Applies all deltas or, when any flagged account would go below its floor, none. */
  private applyOrRefuse(deltas: Map<string, Balances>): void {
    const ids = [...deltas.keys()].sort();
    for (const id of ids) {
      const account = this.accounts.get(id)!;
      const after = addBalances(account.balances, deltas.get(id)!);
      const breach = floorBreach(
        { id, currency: account.currency, limits: account },
        account.balances,
        after,
      );
      if (breach) throw floorBreachError(breach);
    }
    for (const id of ids) {
      const account = this.accounts.get(id)!;
      account.balances = addBalances(account.balances, deltas.get(id)!);
    }
  }

  /** Every broken invariant, described; empty when the ledger is sound. */
  violations(): string[] {
    const problems: string[] = [];
    for (const entry of this.entries.values()) {
      if (entry.postings.length < 2) problems.push(`entry ${entry.id} has fewer than two postings`);
      const unbalanced = unbalancedLedger(entry.postings);
      if (unbalanced)
        problems.push(`entry ${entry.id} does not balance in ${unbalanced.bookId} ${unbalanced.currency}`);
    }
    const recomputed = new Map<string, Balances>();
    const add = (id: string, b: Balances) =>
      recomputed.set(id, addBalances(recomputed.get(id) ?? zeroBalances, b));
    for (const entry of this.entries.values())
      for (const p of entry.postings) add(p.accountId, posted(p.amountMinor));
    for (const hold of this.holds.values()) {
      if (hold.resolutions > 1) problems.push(`hold ${hold.id} resolved ${hold.resolutions} times`);
      if (hold.postedMinor > hold.amountMinor) problems.push(`hold ${hold.id} posted more than it held`);
      if (hold.status !== "open") continue;
      add(hold.debitAccountId, { ...zeroBalances, debitsPendingMinor: hold.amountMinor });
      add(hold.creditAccountId, { ...zeroBalances, creditsPendingMinor: hold.amountMinor });
    }
    const totals = new Map<Currency, { net: bigint; pendingDebits: bigint; pendingCredits: bigint }>();
    for (const account of this.accounts.values()) {
      const expected = recomputed.get(account.id) ?? zeroBalances;
      const b = account.balances;
      if (
        b.debitsPostedMinor !== expected.debitsPostedMinor ||
        b.creditsPostedMinor !== expected.creditsPostedMinor ||
        b.debitsPendingMinor !== expected.debitsPendingMinor ||
        b.creditsPendingMinor !== expected.creditsPendingMinor
      ) {
        problems.push(`account ${account.id} balances differ from the sum of its postings and holds`);
      }
      if (!withinLimits(account, b)) problems.push(`account ${account.id} is below its floor`);
      const t = totals.get(account.currency) ?? { net: 0n, pendingDebits: 0n, pendingCredits: 0n };
      t.net += b.debitsPostedMinor - b.creditsPostedMinor;
      t.pendingDebits += b.debitsPendingMinor;
      t.pendingCredits += b.creditsPendingMinor;
      totals.set(account.currency, t);
    }
    for (const [currency, t] of totals) {
      if (t.net !== 0n) problems.push(`posted ${currency} sums to ${t.net}, not zero`);
      if (t.pendingDebits !== t.pendingCredits)
        problems.push(`pending ${currency} debits and credits differ`);
    }
    return problems;
  }

  /** A stable text of the whole state, to show that a refused operation changed nothing. */
  fingerprint(): string {
    const accounts = [...this.accounts.values()].map(
      (a) =>
        `${a.id}=${a.balances.debitsPostedMinor}/${a.balances.creditsPostedMinor}/${a.balances.debitsPendingMinor}/${a.balances.creditsPendingMinor}`,
    );
    const holds = [...this.holds.values()].map((h) => `${h.id}:${h.status}:${h.postedMinor}`);
    return [...accounts.sort(), ...holds.sort(), ...[...this.entries.keys()].sort()].join("|");
  }
}
