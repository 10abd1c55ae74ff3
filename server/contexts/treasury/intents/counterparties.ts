// A venture's counterparty allowlist (TREAS-005), read by every money intent's policy decision.
import type { Db, Tx } from "@/server/shared/db";

export async function allowCounterparty(options: {
  db: Db | Tx;
  ventureId: string;
  counterpartyId: string;
}): Promise<void> {
  await options.db.treasuryCounterparty.upsert({
    where: {
      ventureId_counterpartyId: { ventureId: options.ventureId, counterpartyId: options.counterpartyId },
    },
    create: { ventureId: options.ventureId, counterpartyId: options.counterpartyId, createdAt: new Date() },
    update: {},
  });
}

export async function counterpartyAllowlist(db: Db | Tx, ventureId: string): Promise<string[]> {
  const rows = await db.treasuryCounterparty.findMany({
    where: { ventureId },
    select: { counterpartyId: true },
  });
  return rows.map((r) => r.counterpartyId);
}
