import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "@/server/shared/errors";
import {
  assertValidEntries,
  type EntryInput,
  entryProblems,
  isExactReversal,
  reversalPostings,
  unbalancedLedger,
} from "./balancing";

const entry = (postings: EntryInput["postings"], id = "ent_1"): EntryInput => ({ id, postings });

function refusal(attempt: () => unknown): AppError {
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error("expected an AppError");
}

describe("entry input", () => {
  it("accepts a balanced entry of two postings", () => {
    expect(
      entryProblems(
        entry([
          { accountId: "a", amountMinor: 100n },
          { accountId: "b", amountMinor: -100n },
        ]),
      ),
    ).toEqual({});
  });

  it("names a zero amount, a number instead of a bigint, and a repeated account", () => {
    const problems = entryProblems(
      entry([
        { accountId: "a", amountMinor: 0n },
        { accountId: "b", amountMinor: 5 as unknown as bigint },
        { accountId: "a", amountMinor: -5n },
      ]),
    );
    expect(problems).toEqual({
      "postings[0].amountMinor": "must not be zero",
      "postings[1].amountMinor": "a bigint of minor units (debit positive, credit negative)",
      "postings[2].accountId": "account a appears twice in this entry; net it into one posting",
    });
  });

  it("refuses a single posting and an unbalanced sum", () => {
    expect(entryProblems(entry([{ accountId: "a", amountMinor: 1n }]))).toHaveProperty("postings");
    expect(
      entryProblems(
        entry([
          { accountId: "a", amountMinor: 3n },
          { accountId: "b", amountMinor: -2n },
        ]),
      ),
    ).toEqual({
      postings: "debits and credits must balance: the amounts sum to 1, not 0",
    });
  });

  it("refuses amounts beyond 64 bits", () => {
    const huge = 2n ** 63n;
    expect(
      entryProblems(
        entry([
          { accountId: "a", amountMinor: huge },
          { accountId: "b", amountMinor: -huge },
        ]),
      ),
    ).toHaveProperty("postings[0].amountMinor");
  });

  it("names fields by position in a batch, and a repeated entry id", () => {
    const good = entry(
      [
        { accountId: "a", amountMinor: 1n },
        { accountId: "b", amountMinor: -1n },
      ],
      "e1",
    );
    const bad = entry(
      [
        { accountId: "a", amountMinor: 1n },
        { accountId: "b", amountMinor: 1n },
      ],
      "e1",
    );
    const error = refusal(() => assertValidEntries([good, bad]));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.details.fields).toEqual({
      "entries[1].postings": "debits and credits must balance: the amounts sum to 2, not 0",
      "entries[1].id": "entry id e1 appears twice in this batch",
    });
  });

  it("refuses a bad id and an overlong memo", () => {
    const problems = entryProblems({
      id: "has space",
      memo: "x".repeat(501),
      postings: [
        { accountId: "a", amountMinor: 1n },
        { accountId: "b", amountMinor: -1n },
      ],
    });
    expect(Object.keys(problems).sort()).toEqual(["id", "memo"]);
  });
});

describe("balancing per book and currency", () => {
  it("finds the book and currency that does not sum to zero", () => {
    expect(
      unbalancedLedger([
        { accountId: "a", amountMinor: 100n, bookId: "v1", currency: "USD" },
        { accountId: "b", amountMinor: -100n, bookId: "v1", currency: "EUR" },
      ]),
    ).toEqual({ bookId: "v1", currency: "USD", sumMinor: 100n });
    expect(
      unbalancedLedger([
        { accountId: "a", amountMinor: 100n, bookId: "v1", currency: "USD" },
        { accountId: "b", amountMinor: -100n, bookId: "v1", currency: "USD" },
      ]),
    ).toBeNull();
  });

  const balancedPostings = fc
    .array(
      fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }).filter((n) => n !== 0n),
      { minLength: 1, maxLength: 8 },
    )
    .filter((amounts) => amounts.reduce((s, a) => s + a, 0n) !== 0n)
    .map((amounts) => {
      const last = -amounts.reduce((s, a) => s + a, 0n);
      return [...amounts, last].map((amountMinor, i) => ({ accountId: `acc_${i}`, amountMinor }));
    });

  it("the reversal of any balanced entry is balanced, exact, and undoes it", () => {
    fc.assert(
      fc.property(balancedPostings, (postings) => {
        expect(entryProblems(entry(postings))).toEqual({});
        const reversal = reversalPostings(postings);
        expect(entryProblems(entry(reversal))).toEqual({});
        expect(isExactReversal(postings, reversal)).toBe(true);
        expect(isExactReversal(postings, [...reversal].reverse())).toBe(true);
        const net = postings.map((p, i) => p.amountMinor + reversal[i]!.amountMinor);
        expect(net.every((n) => n === 0n)).toBe(true);
      }),
    );
  });

  it("a changed amount is not an exact reversal", () => {
    const postings = [
      { accountId: "a", amountMinor: 100n },
      { accountId: "b", amountMinor: -100n },
    ];
    expect(
      isExactReversal(postings, [
        { accountId: "a", amountMinor: -99n },
        { accountId: "b", amountMinor: 99n },
      ]),
    ).toBe(false);
  });
});
