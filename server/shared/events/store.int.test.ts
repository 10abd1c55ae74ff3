import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestServices, type TestServices } from "@/test/services";
import { withTransaction } from "../db";
import { AppError } from "../errors";
import { newId } from "../ids";
import { appendEvents, type CommandContext, readEvents, sealEvents } from "./store";
import { verifyEventLog } from "./verify";

let s: TestServices;
const ctx: CommandContext = { actor: { type: "system", id: "test" }, correlationId: "cor_test" };

beforeAll(async () => {
  s = await openTestServices();
});
afterAll(async () => {
  await s.close();
});

async function appendPortfolio(name: string) {
  const portfolioId = newId("portfolio");
  return withTransaction(s.db, (tx) =>
    appendEvents(tx, ctx, [
      {
        type: "orchestration.portfolio_created",
        stream: { type: "portfolio", id: portfolioId },
        expectedVersion: 0,
        portfolioId,
        payload: { portfolioId, name },
      },
    ]),
  );
}

describe("event log", () => {
  it("chains every appended event to the one before it once sealed", async () => {
    await appendPortfolio("one");
    await appendPortfolio("two");
    // Not chained until the sealer runs: readers only ever see sealed events.
    expect(await readEvents(s.db)).toEqual([]);
    expect(await sealEvents(s.db)).toBe(2);
    const events = await readEvents(s.db);
    expect(events.map((e) => e.sequence)).toEqual([1, 2]);
    expect(events[1]!.prevHash).toBe(events[0]!.hash);
    expect(events[0]!.prevHash).toBe("0".repeat(64));
    expect(await verifyEventLog(s.db)).toEqual({ ok: true, checkedEvents: 2 });
  });

  it("keeps a gap-free sequence under concurrent appends and concurrent sealers", async () => {
    await Promise.all(Array.from({ length: 40 }, (_, i) => appendPortfolio(`c${i}`)));
    // Concurrent sealers: one wins the advisory lock, the others return 0 at once.
    const sealed = await Promise.all([sealEvents(s.db, 15), sealEvents(s.db, 15), sealEvents(s.db, 15)]);
    expect(sealed.filter((n) => n > 0).length).toBeGreaterThanOrEqual(1);
    while ((await sealEvents(s.db, 15)) > 0) {}
    const events = await readEvents(s.db, { limit: 1000 });
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    expect((await verifyEventLog(s.db)).ok).toBe(true);
  });

  it("refuses a stream version that already exists: a conflict, not a lost write", async () => {
    const [first] = await appendPortfolio("conflicted");
    const streamId = first!.stream.id;
    const attempt = withTransaction(s.db, (tx) =>
      appendEvents(tx, ctx, [
        {
          type: "orchestration.portfolio_created",
          stream: { type: "portfolio", id: streamId },
          expectedVersion: 0,
          portfolioId: streamId,
          payload: { portfolioId: streamId, name: "again" },
        },
      ]),
    );
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toMatchObject({ code: "CONFLICT" });
    await sealEvents(s.db);
    const events = await readEvents(s.db, { limit: 1000 });
    expect(events.filter((e) => e.stream.id === streamId)).toHaveLength(1);
  });

  it("refuses UPDATE, DELETE and TRUNCATE on the log and on its chain", async () => {
    const updates: Record<string, string> = {
      event_log: "UPDATE event_log SET type = 'x'",
      event_chain: "UPDATE event_chain SET hash = 'x'",
    };
    for (const [table, update] of Object.entries(updates)) {
      await expect(s.db.$executeRawUnsafe(update)).rejects.toThrow(/append-only/);
      await expect(s.db.$executeRawUnsafe(`DELETE FROM ${table}`)).rejects.toThrow(/append-only/);
      await expect(s.db.$executeRawUnsafe(`TRUNCATE ${table} CASCADE`)).rejects.toThrow(/append-only/);
    }
    expect((await verifyEventLog(s.db)).ok).toBe(true);
  });

  it("rolls the events back with the transaction that appended them", async () => {
    const count = async () =>
      Number((await s.db.$queryRawUnsafe<Array<{ n: bigint }>>("SELECT count(*) AS n FROM event_log"))[0]!.n);
    const before = await count();
    await expect(
      withTransaction(s.db, async (tx) => {
        const portfolioId = newId("portfolio");
        await appendEvents(tx, ctx, [
          {
            type: "orchestration.portfolio_created",
            stream: { type: "portfolio", id: portfolioId },
            expectedVersion: 0,
            portfolioId,
            payload: { portfolioId, name: "rolled back" },
          },
        ]);
        throw new Error("command failed after appending");
      }),
    ).rejects.toThrow(/after appending/);
    expect(await count()).toBe(before);
    const outbox = await s.db.$queryRawUnsafe<Array<{ n: bigint }>>("SELECT count(*) AS n FROM outbox");
    expect(Number(outbox[0]!.n)).toBe(0);
  });
});

describe("appending outside a transaction", () => {
  const portfolioCreated = (portfolioId: string, expectedVersion = 0) => ({
    type: "orchestration.portfolio_created" as const,
    stream: { type: "portfolio", id: portfolioId },
    expectedVersion,
    portfolioId,
    payload: { portfolioId, name: `p ${portfolioId}` },
  });
  const logged = async (ids: string[]) =>
    Number(
      (
        await s.db.$queryRawUnsafe<Array<{ n: bigint }>>(
          "SELECT count(*) AS n FROM event_log WHERE stream_id = ANY($1::text[])",
          ids,
        )
      )[0]!.n,
    );

  it("commits a batch as one transaction of its own: all of its events, or none", async () => {
    const [a, b, c] = [newId("portfolio"), newId("portfolio"), newId("portfolio")];
    const appended = await appendEvents(s.db, ctx, [portfolioCreated(a), portfolioCreated(b)]);
    expect(appended.map((e) => e.stream.id)).toEqual([a, b]);
    expect(await logged([a, b])).toBe(2);

    // c is new, but a's version 1 exists: the whole batch is refused, c included.
    const conflicted = appendEvents(s.db, ctx, [portfolioCreated(c), portfolioCreated(a)]);
    await expect(conflicted).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await logged([c])).toBe(0);

    while ((await sealEvents(s.db)) > 0) {}
    const events = await readEvents(s.db, { limit: 1000 });
    expect(events.filter((e) => [a, b, c].includes(e.stream.id)).map((e) => e.stream.id)).toEqual([a, b]);
    expect((await verifyEventLog(s.db)).ok).toBe(true);
  });

  it("seals personal fields in a transaction it opens, so the key and the event commit together", async () => {
    const registered = (userId: string) => ({
      type: "identity.user_registered" as const,
      stream: { type: "user", id: userId },
      expectedVersion: 0,
      portfolioId: null,
      payload: { userId, email: `${userId}@outside.test`, name: "Outside Transaction" },
    });
    const keys = async (userId: string) =>
      Number(
        (
          await s.db.$queryRawUnsafe<Array<{ n: bigint }>>(
            "SELECT count(*) AS n FROM personal_data_subjects WHERE subject_id = $1",
            userId,
          )
        )[0]!.n,
      );

    const userId = newId("user");
    await appendEvents(s.db, ctx, [registered(userId)]);
    const [row] = await s.db.$queryRawUnsafe<Array<{ envelope: string }>>(
      "SELECT envelope FROM event_log WHERE stream_id = $1",
      userId,
    );
    expect(row!.envelope).not.toContain(`${userId}@outside.test`);
    expect(await keys(userId)).toBe(1);

    // A registration refused for its stream version leaves no key behind either.
    const taken = newId("user");
    await appendEvents(s.db, ctx, [{ ...portfolioCreated(taken), stream: { type: "user", id: taken } }]);
    await expect(appendEvents(s.db, ctx, [registered(taken)])).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await keys(taken)).toBe(0);
  });
});

describe("verification names the first tampered event", () => {
  // Each case tampers with a fresh log of 10 events, so one tamper cannot hide another.
  async function freshLog() {
    const local = await openTestServices();
    for (let i = 0; i < 10; i++) {
      const portfolioId = newId("portfolio");
      await withTransaction(local.db, (tx) =>
        appendEvents(tx, ctx, [
          {
            type: "orchestration.portfolio_created",
            stream: { type: "portfolio", id: portfolioId },
            expectedVersion: 0,
            portfolioId,
            payload: { portfolioId, name: `p${i}` },
          },
        ]),
      );
    }
    await sealEvents(local.db);
    return { local, events: await readEvents(local.db) };
  }

  async function tamperIn(local: TestServices, sql: string, params: unknown[] = []) {
    const client = new pg.Client({ connectionString: local.databaseUrl });
    await client.connect();
    try {
      await client.query("SET session_replication_role = replica");
      await client.query(sql, params);
    } finally {
      await client.end();
    }
  }

  it("modified: a payload edited in place", async () => {
    const { local, events } = await freshLog();
    try {
      await tamperIn(
        local,
        "UPDATE event_log SET envelope = replace(envelope, '\"p4\"', '\"p4x\"') WHERE id = $1",
        [events[4]!.id],
      );
      expect(await verifyEventLog(local.db)).toMatchObject({
        ok: false,
        firstBadSequence: 5,
        eventId: events[4]!.id,
        reason: "modified",
        checkedEvents: 4,
      });
    } finally {
      await local.close();
    }
  });

  it("removed: an event deleted from the log, or its entry from the chain", async () => {
    const { local, events } = await freshLog();
    try {
      await tamperIn(local, "DELETE FROM event_log WHERE id = $1", [events[8]!.id]);
      expect(await verifyEventLog(local.db)).toMatchObject({
        ok: false,
        firstBadSequence: 9,
        eventId: events[8]!.id,
        reason: "removed",
      });
      await tamperIn(local, "DELETE FROM event_chain WHERE sequence = 7");
      expect(await verifyEventLog(local.db)).toMatchObject({
        ok: false,
        firstBadSequence: 7,
        reason: "removed",
      });
    } finally {
      await local.close();
    }
  });

  it("removed: the last event deleted is caught by the chain head", async () => {
    const { local } = await freshLog();
    try {
      await tamperIn(local, "DELETE FROM event_chain WHERE sequence = 10");
      expect(await verifyEventLog(local.db)).toMatchObject({
        ok: false,
        firstBadSequence: 10,
        reason: "head_mismatch",
      });
    } finally {
      await local.close();
    }
  });

  it("inserted: a forged event spliced into the chain with renumbered successors", async () => {
    const { local, events } = await freshLog();
    try {
      await tamperIn(local, "UPDATE event_chain SET sequence = sequence + 100 WHERE sequence >= 4");
      await tamperIn(local, "UPDATE event_chain SET sequence = sequence - 99 WHERE sequence >= 104");
      await tamperIn(
        local,
        `INSERT INTO event_log (id, type, schema_version, stream_type, stream_id, stream_version, portfolio_id,
                                occurred_at, actor_type, actor_id, correlation_id, envelope)
         SELECT 'evt_FORGED00000000000000000000', type, schema_version, stream_type, 'forged', 1, portfolio_id,
                occurred_at, actor_type, actor_id, correlation_id, envelope FROM event_log WHERE id = $1`,
        [events[2]!.id],
      );
      await tamperIn(
        local,
        `INSERT INTO event_chain (sequence, event_id, prev_hash, hash)
         SELECT 4, 'evt_FORGED00000000000000000000', prev_hash, hash FROM event_chain WHERE sequence = 3`,
      );
      expect(await verifyEventLog(local.db)).toMatchObject({
        ok: false,
        firstBadSequence: 4,
        eventId: "evt_FORGED00000000000000000000",
        reason: "inserted_or_reordered",
      });
    } finally {
      await local.close();
    }
  });

  it("inserted: an event written into the log behind the append path's back", async () => {
    const { local, events } = await freshLog();
    try {
      await tamperIn(
        local,
        `INSERT INTO event_log (id, type, schema_version, stream_type, stream_id, stream_version, portfolio_id,
                                occurred_at, actor_type, actor_id, correlation_id, envelope)
         SELECT 'evt_STRAY000000000000000000000', type, schema_version, stream_type, 'stray', 1, portfolio_id,
                occurred_at, actor_type, actor_id, correlation_id, envelope FROM event_log WHERE id = $1`,
        [events[0]!.id],
      );
      expect(await verifyEventLog(local.db)).toMatchObject({
        ok: false,
        eventId: "evt_STRAY000000000000000000000",
        reason: "inserted_or_reordered",
      });
    } finally {
      await local.close();
    }
  });

  it("reordered: two events swapped", async () => {
    const { local, events } = await freshLog();
    try {
      await tamperIn(local, "UPDATE event_chain SET sequence = 1000 WHERE sequence = 3");
      await tamperIn(local, "UPDATE event_chain SET sequence = 3 WHERE sequence = 6");
      await tamperIn(local, "UPDATE event_chain SET sequence = 6 WHERE sequence = 1000");
      expect(await verifyEventLog(local.db)).toMatchObject({
        ok: false,
        firstBadSequence: 3,
        eventId: events[5]!.id,
        reason: "inserted_or_reordered",
      });
    } finally {
      await local.close();
    }
  });
});
