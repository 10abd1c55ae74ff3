// The scheduler's view of each venture's remaining budget (ORCH-005), read from the treasury
// ledger: the available balance of the venture's `budget` account (posted minus held), in the
// venture's currency.
//
// Adapter point: treasury has no api.ts yet, so this one file reads the ledger module directly
// (getBalances, accountId). When treasury publishes its api, only these imports change.
import { accountId } from "@/server/contexts/treasury/ledger/accounts";
import { isCurrency } from "@/server/contexts/treasury/ledger/currency";
import { getBalances } from "@/server/contexts/treasury/ledger/get-balances";
import type { Db, Tx } from "@/server/shared/db";
import { isAppError } from "@/server/shared/errors";

export type BudgetVenture = { ventureId: string; currency: string };

export interface BudgetReader {
  /**
   * Available budget per venture, in minor units of its currency; null when the venture has no
   * budget account in that currency (the scheduler then treats it as zero: fail closed).
   */
  available(db: Db | Tx, ventures: readonly BudgetVenture[]): Promise<Map<string, bigint | null>>;
}

export function budgetAccountId(venture: BudgetVenture): string | null {
  return isCurrency(venture.currency)
    ? accountId({ bookId: venture.ventureId, code: "budget", currency: venture.currency })
    : null;
}

export const ledgerBudgetReader: BudgetReader = {
  async available(db, ventures) {
    const result = new Map<string, bigint | null>(ventures.map((v) => [v.ventureId, null]));
    const wanted = ventures
      .map((v) => ({ ventureId: v.ventureId, account: budgetAccountId(v) }))
      .filter((v): v is { ventureId: string; account: string } => v.account !== null);
    if (wanted.length === 0) return result;
    try {
      const balances = await getBalances(db, { accountIds: wanted.map((w) => w.account) });
      for (const [i, w] of wanted.entries()) result.set(w.ventureId, balances[i]!.availableMinor);
      return result;
    } catch (error) {
      // Some ventures have no budget account yet: read them one by one so the others still count.
      if (!isAppError(error) || error.code !== "NOT_FOUND") throw error;
    }
    for (const w of wanted) {
      try {
        const [balance] = await getBalances(db, { accountIds: [w.account] });
        result.set(w.ventureId, balance!.availableMinor);
      } catch (error) {
        if (!isAppError(error) || error.code !== "NOT_FOUND") throw error;
      }
    }
    return result;
  },
};
