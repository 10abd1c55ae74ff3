import { describe, expect, it } from "vitest";
import { AppError } from "@/server/shared/errors";
import { accountId, bookIdOf, chartOfAccounts, normalSide } from "./accounts";

function fieldsOf(attempt: () => unknown): Record<string, string> {
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("BAD_REQUEST");
    return (error as AppError).details.fields ?? {};
  }
  throw new Error("expected a BAD_REQUEST");
}

describe("chart of accounts", () => {
  it("gives a venture a budget, cash, equity, revenue and one expense account per category", () => {
    const codes = chartOfAccounts({ ventureId: "ven_1", expenseCategories: ["models", "ads"] }).map(
      (s) => s.code,
    );
    expect(codes).toEqual(["budget", "cash", "equity", "revenue", "expense:models", "expense:ads"]);
  });

  it("makes the budget and cash impossible to overdraw, and leaves the other accounts unconstrained", () => {
    const chart = chartOfAccounts({ ventureId: "ven_1" });
    const budget = chart.find((s) => s.code === "budget")!;
    expect(budget).toMatchObject({ kind: "asset", creditsMustNotExceedDebits: true, floorMinor: 0n });
    const revenue = chart.find((s) => s.code === "revenue")!;
    expect(revenue).toMatchObject({ debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: false });
  });

  it("gives the portfolio treasury cash, equity and the mirror of its ventures' funding", () => {
    expect(chartOfAccounts({ ventureId: null }).map((s) => s.code)).toEqual([
      "cash",
      "equity",
      "venture_funding",
    ]);
  });

  it("derives account ids from book, code and currency", () => {
    const bookId = bookIdOf({ portfolioId: "pf_1", ventureId: "ven_1" });
    expect(accountId({ bookId, code: "expense:models", currency: "USD" })).toBe("ven_1:expense:models:USD");
    expect(bookIdOf({ portfolioId: "pf_1", ventureId: null })).toBe("pf_1");
  });

  it("knows which side each kind grows on", () => {
    expect(normalSide("asset")).toBe("debit");
    expect(normalSide("expense")).toBe("debit");
    expect(normalSide("revenue")).toBe("credit");
    expect(normalSide("liability")).toBe("credit");
  });

  it("names each bad category and extra account field", () => {
    const fields = fieldsOf(() =>
      chartOfAccounts({
        ventureId: "ven_1",
        expenseCategories: ["ok", "Bad Name"],
        extra: [
          {
            code: "limit:velocity",
            kind: "liability",
            debitsMustNotExceedCredits: true,
            creditsMustNotExceedDebits: true,
            floorMinor: 0n,
          },
        ],
      }),
    );
    expect(Object.keys(fields)).toEqual(["expenseCategories[1]", "extra[0].flags"]);
  });

  it("refuses a code that appears twice", () => {
    const fields = fieldsOf(() =>
      chartOfAccounts({
        ventureId: "ven_1",
        extra: [
          {
            code: "budget",
            kind: "asset",
            debitsMustNotExceedCredits: false,
            creditsMustNotExceedDebits: false,
            floorMinor: 0n,
          },
        ],
      }),
    );
    expect(fields).toHaveProperty("accounts.budget");
  });
});
