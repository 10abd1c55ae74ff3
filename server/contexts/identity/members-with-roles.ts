// Who holds one of some roles: in one portfolio, or (portfolioId null) in any portfolio. The
// notification centre uses it to address a notification to the people whose role it concerns.
import type { Db, Tx } from "@/server/shared/db";
import type { Role } from "./roles";

/** Distinct user ids holding one of `roles` in the portfolio (or in any portfolio when null). */
export async function membersWithRoles(
  db: Db | Tx,
  options: { portfolioId: string | null; roles: readonly Role[] },
): Promise<string[]> {
  if (options.roles.length === 0) return [];
  const rows = await db.$queryRawUnsafe<Array<{ user_id: string }>>(
    `SELECT DISTINCT user_id FROM memberships
      WHERE ($1::text IS NULL OR portfolio_id = $1) AND role = ANY($2::text[])
      ORDER BY user_id`,
    options.portfolioId,
    [...options.roles],
  );
  return rows.map((row) => row.user_id);
}
