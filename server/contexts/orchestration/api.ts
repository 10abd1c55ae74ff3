// What other contexts and the tRPC ladder may import from orchestration.
import type { Db } from "@/server/shared/db";

/** The portfolio a venture belongs to, or null when there is no such venture. */
export async function portfolioOfVenture(db: Db, ventureId: string): Promise<string | null> {
  const row = await db.venture.findUnique({ where: { id: ventureId }, select: { portfolioId: true } });
  return row?.portfolioId ?? null;
}
