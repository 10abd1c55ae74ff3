import type { Db } from "@/server/shared/db";

/** The venture and portfolio of an artifact, or null when there is no such artifact. */
export async function locateArtifact(
  db: Db,
  artifactId: string,
): Promise<{ ventureId: string; portfolioId: string } | null> {
  const [row] = await db.$queryRawUnsafe<Array<{ venture_id: string; portfolio_id: string }>>(
    "SELECT venture_id, portfolio_id FROM artifacts WHERE id = $1",
    artifactId,
  );
  return row ? { ventureId: row.venture_id, portfolioId: row.portfolio_id } : null;
}
