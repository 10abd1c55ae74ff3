// For tests elsewhere: run something while the kill-switch is engaged, and release it after.
import type { Db } from "@/server/shared/db";
import { pause } from "./pause";
import { resume } from "./resume";

export async function whilePaused<T>(db: Db, work: () => Promise<T>): Promise<T> {
  const control = {
    db,
    actor: { type: "system" as const, id: "test" },
    actorName: "test",
    correlationId: "cor_test_pause",
    fanout: null,
  };
  await pause({ ...control, reason: "drill" });
  try {
    return await work();
  } finally {
    await resume({ ...control, reason: "drill over" });
  }
}
