// The LISTEN connection of the relay and the scheduler survives the server ending its session (what a
// PostgreSQL restart does to it): it reconnects by itself, wakes its owner once it listens again (the
// notifications sent meanwhile are lost), and hears notifications from then on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "@/server/contexts/orchestration/testing/fixtures";
import { openTestServices, type TestServices } from "@/test/services";
import { listenForNotifications, type PgListener } from "./pg-listener";

let s: TestServices;
let listener: PgListener | null = null;

beforeAll(async () => {
  s = await openTestServices();
});
afterAll(async () => {
  await listener?.stop();
  await s?.close();
});

const channel = "venture_listener_test";

async function listeningPids(): Promise<number[]> {
  const rows = await s.db.$queryRawUnsafe<Array<{ pid: number }>>(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = $1",
    `LISTEN ${channel}`,
  );
  return rows.map((r) => r.pid);
}

describe("listenForNotifications", () => {
  it("reconnects after its session is ended, wakes its owner, and hears notifications again", async () => {
    let wakeUps = 0;
    listener = await listenForNotifications({
      databaseUrl: s.databaseUrl,
      channel,
      log: s.log,
      retryMs: 50,
      onNotify: () => {
        wakeUps++;
      },
    });
    await s.db.$executeRawUnsafe(`NOTIFY ${channel}`);
    await eventually(async () => wakeUps === 1, 5_000, "first notification");

    const [first] = await listeningPids();
    expect(first).toBeDefined();
    await s.db.$executeRawUnsafe("SELECT pg_terminate_backend($1)", first);
    // Back on a new session, and the owner was woken for whatever it missed.
    const [second] = await eventually(
      async () => {
        const pids = await listeningPids();
        return pids.length === 1 && pids[0] !== first ? pids : null;
      },
      10_000,
      "listening again on a new session",
    );
    expect(second).not.toBe(first);
    await eventually(async () => wakeUps === 2, 5_000, "wake-up after reconnecting");

    await s.db.$executeRawUnsafe(`NOTIFY ${channel}`);
    await eventually(async () => wakeUps === 3, 5_000, "notification after reconnecting");

    await listener.stop();
    listener = null;
    await eventually(async () => (await listeningPids()).length === 0, 5_000, "session closed on stop");
  });
});
