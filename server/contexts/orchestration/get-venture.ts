import type { Db, Tx } from "@/server/shared/db";

export type VentureView = {
  id: string;
  portfolioId: string;
  name: string;
  slug: string;
  goal: string | null;
  stage: string;
  status: "provisioning" | "ready";
  version: number;
  createdAt: Date;
  provisionedAt: Date | null;
  paused: boolean;
  concurrencyLimit: number;
  weight: number;
  currency: string;
};

export const ventureSelect = {
  id: true,
  portfolioId: true,
  name: true,
  slug: true,
  goal: true,
  stage: true,
  status: true,
  version: true,
  createdAt: true,
  provisionedAt: true,
  paused: true,
  concurrencyLimit: true,
  weight: true,
  currency: true,
} as const;

export async function getVenture(options: { db: Db | Tx; ventureId: string }): Promise<VentureView | null> {
  const row = await options.db.venture.findUnique({
    where: { id: options.ventureId },
    select: ventureSelect,
  });
  return row as VentureView | null;
}
