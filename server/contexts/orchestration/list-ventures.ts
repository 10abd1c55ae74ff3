import type { Db } from "@/server/shared/db";
import { type VentureView, ventureSelect } from "./get-venture";

export async function listVentures(options: {
  db: Db;
  portfolioId: string;
  limit?: number;
}): Promise<VentureView[]> {
  const rows = await options.db.venture.findMany({
    where: { portfolioId: options.portfolioId },
    select: ventureSelect,
    orderBy: { createdAt: "desc" },
    take: Math.min(options.limit ?? 100, 500),
  });
  return rows as VentureView[];
}
