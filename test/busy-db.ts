// A Db of one connection, held by an open transaction until `release`: for tests of what callers
// get when no connection is free (admission control, server/shared/db.ts).
import { createDb, type Db, withTransaction } from "@/server/shared/db";

export async function busyDb(
  databaseUrl: string,
  options: { maxWaiting?: number; connectionTimeoutMs?: number },
): Promise<{ db: Db; release(): void; holder: Promise<void> }> {
  const db = createDb(databaseUrl, { poolMax: 1, ...options });
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let begun!: () => void;
  const started = new Promise<void>((resolve) => {
    begun = resolve;
  });
  const holder = withTransaction(db, async (tx) => {
    await tx.$executeRawUnsafe("SELECT 1");
    begun();
    await gate;
  });
  await started;
  return { db, release, holder };
}
