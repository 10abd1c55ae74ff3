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
import { commitWithNextStatement, withTransaction } from "./db";
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

describe("a last statement that carries the COMMIT (commitWithNextStatement)", () => {
  const idleInTransaction = async () => {
    const [open] = await s.db.$queryRawUnsafe<Array<{ n: bigint }>>(
      `SELECT count(*) AS n FROM pg_stat_activity
        WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    return open!.n;
  };

  it("commits with the statement: another session sees both rows before withTransaction returns, and nothing more can be sent", async () => {
    await s.db.$executeRawUnsafe("TRUNCATE db_test_rows");
    const admin = new pg.Client({ connectionString: s.databaseUrl });
    await admin.connect();
    try {
      const seen = await withTransaction(s.db, async (tx) => {
        await tx.$executeRawUnsafe("INSERT INTO db_test_rows (x) VALUES ($1)", 31);
        commitWithNextStatement();
        const [row] = await tx.$queryRawUnsafe<Array<{ x: number }>>(
          "INSERT INTO db_test_rows (x) VALUES ($1) RETURNING x",
          32,
        );
        expect(row!.x).toBe(32);
        // Committed already: a second session sees both rows while this function still runs.
        const outside = await admin.query("SELECT x FROM db_test_rows ORDER BY x");
        await expect(tx.$executeRawUnsafe("INSERT INTO db_test_rows (x) VALUES ($1)", 33)).rejects.toThrow(
          /after its transaction committed/,
        );
        return outside.rows.map((r: { x: number }) => r.x);
      });
      expect(seen).toEqual([31, 32]);
    } finally {
      await admin.end();
    }
    expect(await storedRows()).toEqual([31, 32]);
    expect(await idleInTransaction()).toBe(0n);
  });

  it("rolls everything back when the statement that carries the COMMIT fails", async () => {
    await s.db.$executeRawUnsafe("TRUNCATE db_test_rows");
    await expect(
      withTransaction(s.db, async (tx) => {
        await tx.$executeRawUnsafe("INSERT INTO db_test_rows (x) VALUES ($1)", 41);
        commitWithNextStatement();
        await tx.$executeRawUnsafe("INSERT INTO db_test_rows (x) VALUES ($1)", null);
      }),
    ).rejects.toThrow(/null value|not-null/);
    expect(await storedRows()).toEqual([]);
    expect(await idleInTransaction()).toBe(0n);
    // The connection is fine afterwards.
    expect(await withTransaction(s.db, (tx) => tx.$queryRawUnsafe("SELECT $1::int AS x", 7))).toEqual([
      { x: 7 },
    ]);
  });

  it("fails with the COMMIT's own error when the commit is refused (a deferred constraint), writing nothing", async () => {
    await s.db.$executeRawUnsafe("TRUNCATE db_test_rows");
    await s.db.$executeRawUnsafe(
      `CREATE TABLE IF NOT EXISTS db_test_deferred (x int PRIMARY KEY, parent int REFERENCES db_test_deferred (x) DEFERRABLE INITIALLY DEFERRED)`,
    );
    await expect(
      withTransaction(s.db, async (tx) => {
        await tx.$executeRawUnsafe("INSERT INTO db_test_rows (x) VALUES ($1)", 51);
        commitWithNextStatement();
        // Passes now, refused at COMMIT: parent 999 does not exist.
        await tx.$executeRawUnsafe("INSERT INTO db_test_deferred (x, parent) VALUES ($1, $2)", 1, 999);
      }),
    ).rejects.toThrow(/foreign key/);
    expect(await storedRows()).toEqual([]);
    expect(await s.db.$queryRawUnsafe("SELECT x FROM db_test_deferred")).toEqual([]);
    expect(await idleInTransaction()).toBe(0n);
  });

  it("is ignored inside a nested withTransaction and on a first statement: withTransaction commits as usual", async () => {
    await s.db.$executeRawUnsafe("TRUNCATE db_test_rows");
    await withTransaction(s.db, async (tx) => {
      commitWithNextStatement(); // the first statement carries the BEGIN instead
      await tx.$executeRawUnsafe("INSERT INTO db_test_rows (x) VALUES ($1)", 61);
      await withTransaction(s.db, async (inner) => {
        commitWithNextStatement();
        await inner.$executeRawUnsafe("INSERT INTO db_test_rows (x) VALUES ($1)", 62);
      });
      // Still in the transaction: this statement joins it.
      await tx.$executeRawUnsafe("INSERT INTO db_test_rows (x) VALUES ($1)", 63);
    });
    expect(await storedRows()).toEqual([61, 62, 63]);
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
