// The kill-switch and the dashboards keep working when a burst of commands has every shared
// connection of the web process busy: a request that calls nothing but pause or resume runs, sign-in
// check included, on the kill-switch's own connections, and reads on theirs (requestLane); another
// command waits its turn.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "@/server/contexts/identity/api-tokens";
import { createDb, type Db, withTransaction } from "@/server/shared/db";
import { createLogger } from "@/server/shared/logger";
import { openTestServices, type TestServices } from "@/test/services";
import { createTrpcContext, requestLane } from "./context";
import { type RoleFixture, roleFixture } from "./fixtures";
import { createCaller } from "./root";

let s: TestServices;
let f: RoleFixture;
let token: string;
let shared: Db;
let control: Db;
let read: Db;
/** Transactions holding shared connections; awaited before the database goes away. */
const holding: Promise<unknown>[] = [];
const log = createLogger({ name: "test", level: "silent" });

beforeAll(async () => {
  s = await openTestServices();
  f = await roleFixture(s.db);
  ({ token } = await createApiToken({
    db: s.db,
    actor: { type: "system", id: "test" },
    correlationId: "cor_lane",
    email: f.principals.admin.email,
    name: "lane test",
    ttlDays: 1,
  }));
  shared = createDb(s.databaseUrl, { poolMax: 2 });
  control = createDb(s.databaseUrl, { poolMax: 2 });
  read = createDb(s.databaseUrl, { poolMax: 2 });
});

afterAll(async () => {
  await Promise.allSettled(holding);
  await shared?.$disconnect();
  await control?.$disconnect();
  await read?.$disconnect();
  await s?.close();
});

function contextFor(method: string, pathname: string) {
  return createTrpcContext({
    headers: new Headers({ authorization: `Bearer ${token}` }),
    allowSession: false,
    lane: requestLane(method, pathname),
    runtime: { db: shared, controlDb: control, readDb: read, log },
  });
}

/** Holds every shared connection for `ms`, as a burst of slow requests would. */
async function holdSharedConnections(ms: number): Promise<Promise<unknown>[]> {
  const holds = [1, 2].map(() =>
    withTransaction(shared, (tx) => tx.$queryRawUnsafe("SELECT pg_sleep($1::float8)", ms / 1000)),
  );
  holding.push(...holds);
  for (;;) {
    const [row] = await s.db.$queryRawUnsafe<Array<{ n: number }>>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
    );
    if (row!.n >= 2) return holds;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("lanes of connections", () => {
  it("pauses, resumes and reads at once while every shared connection is busy; other commands wait", async () => {
    const holds = await holdSharedConnections(4_000);
    const started = performance.now();
    const paused = await createCaller(await contextFor("POST", "/api/v1/control/pause")).control.pause({
      reason: "Runaway spend while the web process is saturated",
    });
    expect(paused).toMatchObject({ changed: true, state: { state: "paused" } });
    const resumed = await createCaller(await contextFor("POST", "/api/trpc/control.resume")).control.resume({
      reason: "Burst understood",
    });
    expect(resumed).toMatchObject({ changed: true, state: { state: "running" } });
    const reader = createCaller(await contextFor("GET", "/api/trpc/dashboard.overview,control.getState"));
    expect((await reader.control.getState()).state.state).toBe("running");
    expect(await reader.dashboard.overview({ portfolioId: f.portfolioId, windowDays: 30 })).toBeTruthy();
    const tookMs = performance.now() - started;
    expect(tookMs).toBeLessThan(2_000);

    // A batch of commands that is not the kill-switch alone waits for a shared connection.
    let settled = false;
    const batched = contextFor("POST", "/api/trpc/ventures.create,control.pause").then((ctx) => {
      settled = true;
      return ctx;
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(settled).toBe(false);
    await Promise.all(holds);
    expect((await batched).principal?.userId).toBe(f.principals.admin.userId);
  }, 30_000);
});
