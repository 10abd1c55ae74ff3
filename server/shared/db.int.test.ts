// withTransaction when the server ends the session mid-transaction (a PostgreSQL restart, found by the
// fault suite, test/faults/): the transaction fails with the server's error, the process survives
// (before the fix, pg emitted 'error' on the checked-out client with nobody listening and the worker
// crashed), and the broken connection is discarded so the next transaction works.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestServices, type TestServices } from "@/test/services";
import { withTransaction } from "./db";

let s: TestServices;

beforeAll(async () => {
  s = await openTestServices();
});
afterAll(async () => {
  await s?.close();
});

describe("withTransaction", () => {
  it("fails, without crashing the process, when the server ends the session between statements", async () => {
    const admin = new pg.Client({ connectionString: s.databaseUrl });
    await admin.connect();
    try {
      const attempt = withTransaction(s.db, async (tx) => {
        const [row] = await tx.$queryRawUnsafe<Array<{ pid: number }>>("SELECT pg_backend_pid() AS pid");
        await admin.query("SELECT pg_terminate_backend($1)", [row!.pid]);
        // The server's FATAL arrives while no statement of ours is running.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await tx.$executeRawUnsafe("SELECT 1");
      });
      await expect(attempt).rejects.toThrow(/terminat|Connection/i);
    } finally {
      await admin.end();
    }
    // The pool hands out a working connection again.
    const ok = await withTransaction(s.db, async (tx) => {
      const [row] = await tx.$queryRawUnsafe<Array<{ ok: number }>>("SELECT 1 AS ok");
      return row!.ok;
    });
    expect(ok).toBe(1);
  });
});
