import type { Db } from "@/server/shared/db";

export async function listPortfolios(options: { db: Db; portfolioIds: string[] }) {
  return options.db.portfolio.findMany({
    where: { id: { in: options.portfolioIds } },
    select: { id: true, name: true, createdAt: true },
    orderBy: { createdAt: "asc" },
  });
}
