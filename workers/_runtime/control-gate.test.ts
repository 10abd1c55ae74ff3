// The kill-switch gate's state machine, given/when/then with an injected clock: when it opens,
// what closes it, what it believes from announcements, and when pause hooks must run.
import { describe, expect, it } from "vitest";
import type { ControlStateView } from "@/server/contexts/control/api";
import { type GateEffect, GateMachine } from "./control-gate";

const ttlMs = 3_000;

function view(state: "running" | "paused", epoch: number): ControlStateView {
  return {
    scope: "global",
    state,
    epoch,
    since: new Date(Date.UTC(2026, 10, 27, 10, 0, epoch)),
    by: { type: "user", id: "usr_1", name: "Ada" },
    reason: state === "paused" ? "incident" : "all clear",
  };
}

function machine() {
  let nowMs = 0;
  const m = new GateMachine(ttlMs, () => nowMs);
  return {
    m,
    advance(ms: number) {
      nowMs += ms;
    },
  };
}

const types = (effects: GateEffect[]) => effects.map((e) => e.type);

/** A machine that has confirmed `running` at epoch 0 with NATS and Redis answering. */
function openMachine() {
  const t = machine();
  t.m.setNats(true);
  t.m.setRedis(true);
  const effects = t.m.dbRead(view("running", 0), t.m.beginRead());
  expect(types(effects)).toEqual(["opened"]);
  return t;
}

describe("GateMachine", () => {
  it("starts closed and opens only with a lease, `running`, NATS and Redis", () => {
    const { m } = machine();
    expect(m.isOpen()).toBe(false);
    expect(m.closedReasons()).toContain("state not confirmed from PostgreSQL yet");
    expect(types(m.dbRead(view("running", 0), m.beginRead()))).toEqual([]);
    expect(m.closedReasons()).toEqual(["NATS unreachable", "Redis unreachable"]);
    expect(types(m.setNats(true))).toEqual([]);
    expect(types(m.setRedis(true))).toEqual(["opened"]);
    expect(m.isOpen()).toBe(true);
  });

  it("closes at once on a pause announcement and asks for the hooks exactly once per epoch", () => {
    const { m } = openMachine();
    const effects = m.hint(view("paused", 1));
    expect(types(effects)).toEqual(["closed", "paused"]);
    expect(m.isOpen()).toBe(false);
    // The same pause heard again (Redis, then the database) does not run the hooks again.
    expect(types(m.hint(view("paused", 1)))).toEqual([]);
    expect(types(m.dbRead(view("paused", 1), m.beginRead()))).toEqual([]);
  });

  it("does not reopen on a resume announcement: only PostgreSQL reopens it", () => {
    const { m } = openMachine();
    m.hint(view("paused", 1));
    expect(types(m.hint(view("running", 2)))).toEqual([]);
    expect(m.isOpen()).toBe(false);
    expect(types(m.dbRead(view("running", 2), m.beginRead()))).toEqual(["opened"]);
  });

  it("ignores an older pause announcement", () => {
    const { m } = openMachine();
    m.hint(view("paused", 1));
    m.dbRead(view("running", 2), m.beginRead());
    expect(types(m.hint(view("paused", 1)))).toEqual([]);
    expect(m.isOpen()).toBe(true);
  });

  it("keeps a pause announced while a read was in flight, when the read predates it", () => {
    const { m } = openMachine();
    const token = m.beginRead();
    m.hint(view("paused", 1));
    // The read began before the pause committed and answers the old state: still paused.
    expect(types(m.dbRead(view("running", 0), token))).toEqual([]);
    expect(m.isOpen()).toBe(false);
    // A read that began after the announcement is the truth, even with a lower epoch (a restored database).
    expect(types(m.dbRead(view("running", 0), m.beginRead()))).toEqual(["opened"]);
  });

  it("closes when the lease expires and asks for the hooks once, without a confirmation", () => {
    const { m, advance } = openMachine();
    advance(ttlMs - 1);
    expect(m.isOpen()).toBe(true);
    expect(types(m.tick())).toEqual([]);
    advance(1);
    // isOpen() reads the clock itself: closed at the exact instant, before any timer fires.
    expect(m.isOpen()).toBe(false);
    expect(types(m.tick())).toEqual(["closed", "lease_expired"]);
    expect(m.closedReasons()).toEqual(["lease expired: PostgreSQL not confirmed in time"]);
    expect(types(m.tick())).toEqual([]);
    // A renewed lease reopens it.
    expect(types(m.dbRead(view("running", 0), m.beginRead()))).toEqual(["opened"]);
  });

  it("does not run the hooks again when the lease expires during a pause", () => {
    const { m, advance } = openMachine();
    m.hint(view("paused", 1));
    m.dbRead(view("paused", 1), m.beginRead());
    advance(ttlMs);
    expect(types(m.tick())).toEqual([]);
  });

  it("renewals within the lease keep it open indefinitely", () => {
    const { m, advance } = openMachine();
    for (let i = 0; i < 10; i++) {
      advance(1_000);
      expect(types(m.dbRead(view("running", 0), m.beginRead()))).toEqual([]);
      expect(m.isOpen()).toBe(true);
    }
  });

  it("closes when NATS or Redis stops answering and reopens when both answer again", () => {
    const { m } = openMachine();
    expect(types(m.setNats(false))).toEqual(["closed"]);
    expect(types(m.setRedis(false))).toEqual([]);
    expect(m.closedReasons()).toEqual(["NATS unreachable", "Redis unreachable"]);
    expect(types(m.setNats(true))).toEqual([]);
    expect(types(m.setRedis(true))).toEqual(["opened"]);
  });

  it("asks for the hooks when it first learns of a pause from PostgreSQL (a worker started while paused)", () => {
    const { m } = machine();
    m.setNats(true);
    m.setRedis(true);
    const effects = m.dbRead(view("paused", 3), m.beginRead());
    expect(effects).toEqual([{ type: "paused", state: view("paused", 3) }]);
    expect(m.isOpen()).toBe(false);
  });

  it("runs the hooks again for the next pause after a resume", () => {
    const { m } = openMachine();
    expect(types(m.hint(view("paused", 1)))).toEqual(["closed", "paused"]);
    expect(types(m.dbRead(view("running", 2), m.beginRead()))).toEqual(["opened"]);
    expect(types(m.hint(view("paused", 3)))).toEqual(["closed", "paused"]);
  });
});
