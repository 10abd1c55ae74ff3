import type { Db } from "@/server/shared/db";
import { type DepositRow, type DepositView, depositColumns, toDepositView } from "./deposit-view";

/** A portfolio's deposits, newest first. */
export async function listDeposits(options: {
  db: Db;
  portfolioId: string;
  limit?: number;
}): Promise<DepositView[]> {
  const rows = await options.db.$queryRawUnsafe<DepositRow[]>(
    `SELECT ${depositColumns} FROM treasury_deposits WHERE portfolio_id = $1
      ORDER BY created_at DESC, id DESC LIMIT $2`,
    options.portfolioId,
    Math.min(Math.max(options.limit ?? 50, 1), 500),
  );
  return rows.map(toDepositView);
}
