import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "@/server/shared/errors";
import { LedgerModel } from "./model";
import { concreteOp, opTemplate, seedOps, worldAccounts, worldBooks } from "./testing/workload";

// 200 runs keep the unit suite fast; a nightly run sets PROPERTY_RUNS=10000.
const numRuns = Number(process.env.PROPERTY_RUNS ?? 200);

describe("ledger model under random operation sequences", () => {
  it("keeps every invariant after every step, and a refused step changes nothing", () => {
    fc.assert(
      fc.property(fc.array(opTemplate({ withTime: true }), { minLength: 1, maxLength: 60 }), (templates) => {
        const model = new LedgerModel();
        const books = worldBooks();
        const accounts = worldAccounts(books);
        for (const account of accounts) model.open(account);
        for (const op of seedOps(books)) if (op.kind === "entries") model.postEntries(op.entries);
        let now = new Date("2026-11-27T12:00:00Z");
        const resolvedOnce = new Map<string, string>();
        templates.forEach((template, step) => {
          const op = concreteOp(template, step, { accounts, books, model, now });
          if (!op) return;
          const before = model.fingerprint();
          try {
            switch (op.kind) {
              case "entries":
                model.postEntries(op.entries);
                break;
              case "hold":
                model.placeHolds([op.hold], now);
                break;
              case "post":
                model.postHold(op.holdId, op.amountMinor, now);
                break;
              case "void":
                model.voidHold(op.holdId, now);
                break;
              case "advance":
                now = new Date(now.getTime() + op.ms);
                break;
              case "expire":
                model.expireHolds(now, op.limit);
                break;
            }
          } catch (error) {
            // Refusals are conditions (AppError), never crashes, and they write nothing.
            expect(error).toBeInstanceOf(AppError);
            expect(model.fingerprint()).toBe(before);
          }
          expect(model.violations()).toEqual([]);
          // A hold's outcome, once reached, never changes.
          for (const hold of model.holds.values()) {
            const seen = resolvedOnce.get(hold.id);
            if (seen) expect(hold.status).toBe(seen);
            else if (hold.status !== "open") resolvedOnce.set(hold.id, hold.status);
          }
        });
      }),
      { numRuns },
    );
  });

  it("never lets concurrent-looking holds on one budget reserve more than the budget", () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 500n }), { minLength: 1, maxLength: 200 }),
        (amounts) => {
          const model = new LedgerModel();
          const accounts = worldAccounts();
          for (const account of accounts) model.open(account);
          const now = new Date("2026-11-27T12:00:00Z");
          model.postEntries([
            {
              id: "fund",
              postings: [
                { accountId: "ven_a:budget:USD", amountMinor: 10_000n },
                { accountId: "ven_a:equity:USD", amountMinor: -10_000n },
              ],
            },
          ]);
          let approved = 0n;
          amounts.forEach((amountMinor, i) => {
            try {
              model.placeHolds(
                [
                  {
                    id: `h${i}`,
                    debitAccountId: "ven_a:expense:models:USD",
                    creditAccountId: "ven_a:budget:USD",
                    amountMinor,
                    expiresAt: new Date(now.getTime() + 60_000),
                  },
                ],
                now,
              );
              approved += amountMinor;
            } catch (error) {
              expect((error as AppError).details.reason).toBe("below_floor");
            }
          });
          expect(approved).toBeLessThanOrEqual(10_000n);
          expect(model.accounts.get("ven_a:budget:USD")!.balances.creditsPendingMinor).toBe(approved);
        },
      ),
      { numRuns },
    );
  });
});
