// withTransaction when the server ends the session mid-transaction (a PostgreSQL restart, found by the
// fault suite, test/faults/): the transaction fails with the server's error, the process survives
// (before the fix, pg emitted 'error' on the checked-out client with nobody listening and the worker
// crashed), and the broken connection is discarded so the next transaction works. And BEGIN sent
// with the first statement (one round trip fewer): the transaction is still one, whatever the first
// statement is. And a second copy of the module (`next dev` loads one per bundle layer) runs the
// same transactions on the same Db.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { busyDb } from "@/test/busy-db";
import { openTestServices, type TestServices } from "@/test/services";
import { withTransaction } from "./db";
import { AppError } from "./errors";

let s: TestServices;

beforeAll(async () => {
  s = await openTestServices();
  await s.db.$executeRawUnsafe("CREATE TABLE db_test_rows (x int NOT NULL)");
});

async function storedRows(): Promise<number[]> {
  const rows = await s.db.$queryRawUnsafe<Array<{ x: number }>>("SELECT x FROM db_test_rows ORDER BY x");
  return rows.map((r) => r.x);
}
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

  it("runs every statement in one transaction when the first carries the BEGIN, and a failure undoes the first", async () => {
    await s.db.$executeRawUnsafe("TRUNCATE db_test_rows");
    const times = await withTransaction(s.db, async (tx) => {
      const [first] = await tx.$queryRawUnsafe<Array<{ t: Date }>>(
        "INSERT INTO db_test_rows (x) VALUES ($1) RETURNING now() AS t",
        1,
      );
      await new Promise((resolve) => setTimeout(resolve, 30));
      const [second] = await tx.$queryRawUnsafe<Array<{ t: Date }>>("SELECT now() AS t");
      return [first!.t.getTime(), second!.t.getTime()];
    });
    // now() is the transaction's start: the same for both statements, 30 ms apart.
    expect(times[1]).toBe(times[0]);
    const failed = withTransaction(s.db, async (tx) => {
      await tx.$executeRawUnsafe("INSERT INTO db_test_rows (x) VALUES ($1)", 2);
      await tx.$executeRawUnsafe("SELECT 1 / $1::int", 0);
    });
    await expect(failed).rejects.toThrow(/division by zero/);
    expect(await storedRows()).toEqual([1]);
  });

  it("keeps a first statement without parameters, a Prisma query and a savepoint first inside the transaction", async () => {
    await s.db.$executeRawUnsafe("TRUNCATE db_test_rows");
    // Without parameters (the simple protocol): BEGIN goes on its own, then the statement.
    await expect(
      withTransaction(s.db, async (tx) => {
        await tx.$executeRawUnsafe("INSERT INTO db_test_rows (x) VALUES (10)");
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    // Prisma's own query path (through the routing pool), with parameters.
    await expect(
      withTransaction(s.db, async (tx) => {
        await tx.$executeRaw`INSERT INTO db_test_rows (x) VALUES (${11})`;
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    // A nested transaction first: its savepoint opens the outer transaction.
    await withTransaction(s.db, async () => {
      await expect(
        withTransaction(s.db, async (tx) => {
          await tx.$executeRawUnsafe("INSERT INTO db_test_rows (x) VALUES ($1)", 12);
          throw new Error("inner fails");
        }),
      ).rejects.toThrow("inner fails");
      await s.db.$executeRawUnsafe("INSERT INTO db_test_rows (x) VALUES ($1)", 13);
    });
    expect(await storedRows()).toEqual([13]);
  });

  it("is one transaction when another copy of this module runs it on the same Db", async () => {
    vi.resetModules();
    const copy = await import("./db");
    expect(copy.withTransaction).not.toBe(withTransaction);
    await expect(
      copy.withTransaction(s.db, async (tx) => {
        await tx.$executeRawUnsafe("INSERT INTO db_test_rows (x) VALUES ($1)", 21);
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    // Through the Db itself, as use-cases that take a db do: routed into the copy's transaction.
    await expect(
      copy.withTransaction(s.db, async () => {
        await s.db.$executeRawUnsafe("INSERT INTO db_test_rows (x) VALUES ($1)", 22);
        throw new Error("rolled back too");
      }),
    ).rejects.toThrow("rolled back too");
    await copy.withTransaction(s.db, async () => {
      await s.db.$executeRawUnsafe("INSERT INTO db_test_rows (x) VALUES ($1)", 23);
    });
    const stored = await storedRows();
    expect(stored).toContain(23);
    expect(stored).not.toContain(21);
    expect(stored).not.toContain(22);
  });

  it("sends nothing for a transaction without statements and leaves no session in a transaction", async () => {
    expect(await withTransaction(s.db, async () => "nothing to do")).toBe("nothing to do");
    await expect(
      withTransaction(s.db, async () => {
        throw new Error("failed before any statement");
      }),
    ).rejects.toThrow("failed before any statement");
    const [open] = await s.db.$queryRawUnsafe<Array<{ n: bigint }>>(
      `SELECT count(*) AS n FROM pg_stat_activity
        WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    expect(open!.n).toBe(0n);
    expect(await withTransaction(s.db, (tx) => tx.$queryRawUnsafe("SELECT $1::int AS x", 5))).toEqual([
      { x: 5 },
    ]);
  });
});

describe("admission: a database with no free connection", () => {
  it("queues callers up to maxWaiting and refuses the next at once with UNAVAILABLE, running nothing of it", async () => {
    const { db, release, holder } = await busyDb(s.databaseUrl, { maxWaiting: 2 });
    try {
      const queued = [1, 2].map((x) =>
        withTransaction(db, (tx) => tx.$executeRawUnsafe("INSERT INTO db_test_rows VALUES ($1)", 100 + x)),
      );
      let ran = false;
      const t = performance.now();
      const refused = withTransaction(db, async (tx) => {
        ran = true;
        await tx.$executeRawUnsafe("INSERT INTO db_test_rows VALUES (199)");
      });
      await expect(refused).rejects.toBeInstanceOf(AppError);
      await expect(refused).rejects.toMatchObject({ code: "UNAVAILABLE", details: { retryAfterSeconds: 1 } });
      await expect(refused).rejects.toThrow(/overloaded: 2 requests already wait/);
      // A query outside a transaction (pg-pool's own checkout) is refused the same way.
      await expect(db.$queryRawUnsafe("SELECT 1")).rejects.toMatchObject({ code: "UNAVAILABLE" });
      expect(performance.now() - t).toBeLessThan(1_000);
      expect(ran).toBe(false);

      release();
      await holder;
      await Promise.all(queued);
      const rows = await storedRows();
      expect(rows.filter((x) => x > 100)).toEqual([101, 102]);
    } finally {
      release();
      await db.$disconnect();
    }
  });

  it("answers UNAVAILABLE, not a bare pool error, when no connection is free within the timeout", async () => {
    const { db, release, holder } = await busyDb(s.databaseUrl, { connectionTimeoutMs: 200 });
    try {
      const t = performance.now();
      const waited = withTransaction(db, (tx) => tx.$executeRawUnsafe("SELECT 1"));
      await expect(waited).rejects.toMatchObject({ code: "UNAVAILABLE" });
      await expect(waited).rejects.toThrow(/no database connection became free in time/);
      expect(performance.now() - t).toBeGreaterThanOrEqual(150);
      release();
      await holder;
      // Free again: the next caller is served.
      await expect(withTransaction(db, (tx) => tx.$queryRawUnsafe("SELECT 1 AS ok"))).resolves.toEqual([
        { ok: 1 },
      ]);
    } finally {
      release();
      await db.$disconnect();
    }
  });
});
