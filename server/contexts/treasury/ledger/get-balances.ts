import { AppError } from "@/server/shared/errors";
import { type AccountBalance, type AccountRow, accountColumns, toAccountBalance } from "./account-rows";
import { type LedgerTx, runLedgerSql } from "./sql";

export const maxAccountsPerRead = 1_000;

/**
 * Balances of the given accounts, in the order asked: the four TigerBeetle totals plus posted,
 * available (posted - pending against the account) and headroom above the floor. Inside a
 * transaction after a ledger write they include that write; from the client they are committed state.
 */
export async function getBalances(
  db: LedgerTx,
  options: { accountIds: readonly string[] },
): Promise<AccountBalance[]> {
  const ids = options.accountIds;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > maxAccountsPerRead) {
    throw new AppError("BAD_REQUEST", `accountIds must list 1 to ${maxAccountsPerRead} accounts`, {
      fields: { accountIds: `1 to ${maxAccountsPerRead} account ids` },
    });
  }
  const rows = await runLedgerSql<AccountRow>(
    db,
    `SELECT ${accountColumns} FROM ledger_accounts WHERE id = ANY($1::text[])`,
    [[...new Set(ids)]],
  );
  const byId = new Map(rows.map((row) => [row.id, toAccountBalance(row)]));
  const missing = ids.map((id, i) => [id, i] as const).filter(([id]) => !byId.has(id));
  if (missing.length > 0) {
    throw new AppError("NOT_FOUND", `Unknown account ${missing.map(([id]) => id).join(", ")}`, {
      reason: "unknown_account",
      fields: Object.fromEntries(missing.map(([, i]) => [`accountIds[${i}]`, "unknown account"])),
    });
  }
  return ids.map((id) => byId.get(id)!);
}
