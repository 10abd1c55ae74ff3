// The kill-switch gate every worker process runs (CTRL-003, docs/decisions/0007-kill-switch.md).
//
// Three sources, one rule. The gate listens on the NATS core subject `<ns>.control`, reads the
// Redis key, and holds a lease renewed from PostgreSQL (control_state is read every leaseRenewMs;
// a successful read is good for leaseTtlMs). It is OPEN only while
//   - the lease is fresh, and
//   - the last known state is `running`, and
//   - NATS and Redis both answer.
//
// Fail closed (STYLE 19), deliberately unlike most infrastructure code, which fails open:
//   - No fresh lease → closed: PostgreSQL is the truth, and a state we cannot confirm may be a
//     pause we have not heard of.
//   - NATS or Redis unreachable → closed: those are how a pause reaches us in milliseconds; without
//     them a pause would only arrive with the next lease renewal, so we stop starting work until we
//     can hear again. (In-flight work is left alone while the lease still confirms `running`; the
//     lease read notices a pause within leaseRenewMs anyway.)
//   - A pause announcement closes the gate at once; a resume announcement never opens it: the
//     gate re-reads PostgreSQL and opens only when it sees `running` there.
//
// On a pause (from any source) the gate runs its onPause hooks — in-flight model calls registered
// with trackAbortable() are aborted, the L3 supervisor terminates its process groups — and then
// confirms: it publishes { instanceId, worker, stoppedAt, tookMs, terminated } on
// `<ns>.control.confirmed` and records it in control_confirmations. When the lease expires while
// running, the hooks run too (the state may be a pause we cannot see), without a confirmation.
import os from "node:os";
import type { Subscription } from "@nats-io/transport-node";
import {
  type ControlConfirmation,
  type ControlStateView,
  controlNames,
  fromAnnouncement,
  parseAnnouncement,
  readControlSnapshot,
  recordConfirmation,
} from "@/server/contexts/control/api";
import type { Db } from "@/server/shared/db";
import type { Logger } from "@/server/shared/logger";
import { connectNats, type NatsConnection } from "@/server/shared/nats";
import type { Redis } from "@/server/shared/redis";
import type { DispatchGate } from "./gate";

// ---------------------------------------------------------------------------------------------
// The state machine: pure, time injected, no I/O. The shell below feeds it and performs its effects.
// ---------------------------------------------------------------------------------------------

export type GateEffect =
  | { type: "opened" }
  | { type: "closed"; reasons: string[] }
  /** A pause became known (first time for this epoch): run the hooks, then confirm. */
  | { type: "paused"; state: ControlStateView }
  /** The lease ran out while the state was `running`: run the hooks, nothing to confirm. */
  | { type: "lease_expired" };

export class GateMachine {
  private known: ControlStateView | null = null;
  /** Sequence number of the hint that set `known`, until a database read supersedes it. */
  private knownFromHint: number | null = null;
  private hintSeq = 0;
  private leaseExpiresAtMs = Number.NEGATIVE_INFINITY;
  private leaseExpiryHandled = true;
  private nats = false;
  private redis = false;
  private wasOpen = false;
  private handledPauseEpoch: number | null = null;

  constructor(
    private readonly leaseTtlMs: number,
    /** Monotonic milliseconds. */
    private readonly now: () => number,
  ) {}

  isOpen(): boolean {
    return (
      this.known !== null &&
      this.known.state === "running" &&
      this.nats &&
      this.redis &&
      this.now() < this.leaseExpiresAtMs
    );
  }

  closedReasons(): string[] {
    const reasons: string[] = [];
    if (!this.known) reasons.push("state not confirmed from PostgreSQL yet");
    else if (this.known.state === "paused") reasons.push(`paused (epoch ${this.known.epoch})`);
    if (this.known && this.now() >= this.leaseExpiresAtMs)
      reasons.push("lease expired: PostgreSQL not confirmed in time");
    if (!this.nats) reasons.push("NATS unreachable");
    if (!this.redis) reasons.push("Redis unreachable");
    return reasons;
  }

  get state(): ControlStateView | null {
    return this.known;
  }

  leaseRemainingMs(): number {
    return Math.max(0, this.leaseExpiresAtMs - this.now());
  }

  /** Call when a database read starts; pass the token to dbRead(). */
  beginRead(): number {
    return this.hintSeq;
  }

  /** A successful read of control_state: renews the lease; PostgreSQL's answer wins... */
  dbRead(view: ControlStateView, readToken: number): GateEffect[] {
    this.leaseExpiresAtMs = this.now() + this.leaseTtlMs;
    this.leaseExpiryHandled = false;
    // ...unless a newer pause was announced after this read began: the read may predate the
    // pause's commit. The next read settles it either way.
    const newerHint =
      this.known !== null &&
      this.knownFromHint !== null &&
      this.knownFromHint > readToken &&
      this.known.epoch > view.epoch;
    if (!newerHint) {
      this.known = view;
      this.knownFromHint = null;
    }
    return this.settle();
  }

  /** An announcement (NATS or Redis) about our database. Only a newer pause is believed. */
  hint(view: ControlStateView): GateEffect[] {
    this.hintSeq++;
    if (view.state === "paused" && (this.known === null || view.epoch > this.known.epoch)) {
      this.known = view;
      this.knownFromHint = this.hintSeq;
    }
    return this.settle();
  }

  setNats(ok: boolean): GateEffect[] {
    this.nats = ok;
    return this.settle();
  }

  setRedis(ok: boolean): GateEffect[] {
    this.redis = ok;
    return this.settle();
  }

  /** Time passed: notices lease expiry. */
  tick(): GateEffect[] {
    return this.settle();
  }

  private settle(): GateEffect[] {
    const effects: GateEffect[] = [];
    const open = this.isOpen();
    if (open !== this.wasOpen) {
      this.wasOpen = open;
      effects.push(open ? { type: "opened" } : { type: "closed", reasons: this.closedReasons() });
    }
    if (this.known?.state === "paused" && this.handledPauseEpoch !== this.known.epoch) {
      this.handledPauseEpoch = this.known.epoch;
      effects.push({ type: "paused", state: this.known });
    }
    if (!this.leaseExpiryHandled && this.now() >= this.leaseExpiresAtMs) {
      this.leaseExpiryHandled = true;
      // Already paused: the hooks ran for the pause.
      if (this.known?.state !== "paused") effects.push({ type: "lease_expired" });
    }
    return effects;
  }
}

// ---------------------------------------------------------------------------------------------
// The shell: connections, timers, hooks, confirmations.
// ---------------------------------------------------------------------------------------------

export type PauseCause =
  | { cause: "pause"; epoch: number; state: ControlStateView }
  | { cause: "lease_expired"; epoch: null; state: ControlStateView | null };

/** What a hook stopped, by kind (e.g. { processGroups: 3 }); summed into the confirmation. */
export type TerminatedCounts = Record<string, number>;

/**
 * A pause hook. It should start stopping and return promptly with what it stopped: the
 * confirmation waits for every hook (at most hookTimeoutMs). Escalation that takes longer, like
 * SIGKILL after a grace period, continues after the hook returns.
 */
export type PauseHook = (
  cause: PauseCause,
) => TerminatedCounts | undefined | Promise<TerminatedCounts | undefined>;

export type ControlGateOptions = {
  worker: string;
  instanceId: string;
  namespace: string;
  db: Db;
  /** A connection the gate shares (not closed by stop()), or a URL the gate connects to itself. */
  nats: { connection: NatsConnection } | { url: string };
  redis: Redis;
  log: Logger;
  /** How often control_state is read (and NATS and Redis checked). */
  leaseRenewMs?: number;
  /** How long a successful read keeps the gate open. */
  leaseTtlMs?: number;
  /** Longest wait for one read, ping or flush; a slower answer counts as no answer. */
  probeTimeoutMs?: number;
  /** Longest wait for one pause hook before the confirmation goes out without it. */
  hookTimeoutMs?: number;
  /** Monotonic milliseconds; tests inject their own. */
  now?: () => number;
};

export type ControlGateStatus = {
  open: boolean;
  state: "running" | "paused" | "unknown";
  epoch: number | null;
  leaseRemainingMs: number;
  reasons: string[];
};

/** Renew every second; a lease survives two missed renewals. */
export const defaultLeaseRenewMs = 1_000;
export const defaultLeaseTtlMs = 3_000;
const defaultHookTimeoutMs = 2_000;
/** Confirmations kept for retry while PostgreSQL is unreachable. */
const pendingConfirmationsMax = 32;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export class ControlGate implements DispatchGate {
  readonly worker: string;
  readonly instanceId: string;
  readonly stats = { pauses: 0, leaseExpiries: 0, hookErrors: 0, confirmationsRecorded: 0 };

  private readonly machine: GateMachine;
  private readonly names: ReturnType<typeof controlNames>;
  private readonly renewMs: number;
  private readonly probeTimeoutMs: number;
  private readonly hookTimeoutMs: number;
  private readonly log: Logger;
  private readonly hooks = new Set<PauseHook>();
  private readonly abortables = new Map<AbortController, string>();
  private readonly waiters = new Set<() => void>();
  private readonly pendingConfirmations: ControlConfirmation[] = [];
  private source: string | null = null;
  private nc: NatsConnection | null = null;
  private subscription: Subscription | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private probing: Promise<void> | null = null;
  private probeAgain = false;
  private flushing: Promise<void> | null = null;
  /** A read that outlived its timeout: no second one is started while it hangs (bounded connections). */
  private dbReadInFlight: Promise<unknown> | null = null;
  private statusWatch: AsyncIterable<unknown> | null = null;
  private stopped = false;

  constructor(private readonly options: ControlGateOptions) {
    this.worker = options.worker;
    this.instanceId = options.instanceId;
    this.names = controlNames(options.namespace);
    this.renewMs = options.leaseRenewMs ?? defaultLeaseRenewMs;
    const ttlMs = options.leaseTtlMs ?? defaultLeaseTtlMs;
    if (ttlMs <= this.renewMs) throw new Error("ControlGate: leaseTtlMs must exceed leaseRenewMs");
    this.probeTimeoutMs = options.probeTimeoutMs ?? Math.min(this.renewMs, 1_000);
    this.hookTimeoutMs = options.hookTimeoutMs ?? defaultHookTimeoutMs;
    this.machine = new GateMachine(ttlMs, options.now ?? (() => performance.now()));
    this.log = options.log.child({ component: "control-gate", instanceId: options.instanceId });
    if ("connection" in options.nats) this.nc = options.nats.connection;
  }

  /** Subscribes and runs the first round of checks. Never throws: an unconfirmed gate stays closed. */
  async start(): Promise<void> {
    if (this.nc) this.attachNats(this.nc);
    else await this.connectOwnNats();
    // Connections opened a moment ago may not answer the very first round (ioredis is still
    // connecting): retry briefly before settling into the renewal rhythm.
    const startedAt = performance.now();
    await this.probe();
    while (!this.isOpen() && !this.stopped && performance.now() - startedAt < this.renewMs) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await this.probe();
    }
    this.renewTimer = setInterval(() => void this.probe(), this.renewMs);
    this.renewTimer.unref();
    if (!this.isOpen())
      this.log.warn({ reasons: this.machine.closedReasons() }, "kill-switch gate starts closed");
  }

  isOpen(): boolean {
    return !this.stopped && this.machine.isOpen();
  }

  waitOpen(signal: AbortSignal): Promise<void> {
    if (this.isOpen()) return Promise.resolve();
    if (signal.aborted) return Promise.reject(new Error("aborted while waiting for the kill-switch gate"));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiters.delete(wake);
        reject(new Error("aborted while waiting for the kill-switch gate"));
      };
      const wake = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      this.waiters.add(wake);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Registers a hook run on every pause (and on lease expiry); returns its removal. */
  onPause(hook: PauseHook): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }

  /**
   * Aborts this controller on a pause, counted under `kind` in the confirmation (in-flight model
   * calls pass their AbortController here). Call the returned function when the work ends.
   */
  trackAbortable(controller: AbortController, kind = "modelCalls"): () => void {
    this.abortables.set(controller, kind);
    return () => this.abortables.delete(controller);
  }

  status(): ControlGateStatus {
    const state = this.machine.state;
    return {
      open: this.isOpen(),
      state: state?.state ?? "unknown",
      epoch: state?.epoch ?? null,
      leaseRemainingMs: Math.round(this.machine.leaseRemainingMs()),
      reasons: this.stopped ? ["stopped"] : this.machine.closedReasons(),
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.subscription?.unsubscribe();
    // A shared connection outlives the gate: end our status listener on it.
    (this.statusWatch as { stop?: () => void } | null)?.stop?.();
    await this.probing?.catch(() => {});
    await this.flushing?.catch(() => {});
    if (this.nc && !("connection" in this.options.nats)) await this.nc.close().catch(() => {});
  }

  // --- sources -------------------------------------------------------------------------------

  private async connectOwnNats(): Promise<void> {
    if (!("url" in this.options.nats)) return;
    try {
      const nc = await withTimeout(
        connectNats(this.options.nats.url, `${this.options.namespace}:${this.worker}:control`),
        this.probeTimeoutMs * 2,
        "NATS connect",
      );
      if (this.stopped) {
        await nc.close();
        return;
      }
      this.nc = nc;
      this.attachNats(nc);
    } catch (error) {
      this.apply(this.machine.setNats(false));
      this.log.debug({ err: String(error) }, "NATS not reachable: gate stays closed");
    }
  }

  private attachNats(nc: NatsConnection): void {
    this.subscription = nc.subscribe(this.names.stateSubject, {
      callback: (error, msg) => {
        if (error) return;
        this.onAnnouncement(msg.data, "nats");
      },
    });
    const statuses = nc.status();
    this.statusWatch = statuses;
    void (async () => {
      for await (const status of statuses) {
        if (this.stopped) return;
        if (status.type === "disconnect" || status.type === "staleConnection" || status.type === "close") {
          // Fail closed at once: a pause sent now would not reach us.
          this.apply(this.machine.setNats(false));
        } else if (status.type === "reconnect") {
          // Messages sent while we were away are lost (core NATS): catch up from Redis and PostgreSQL.
          this.requestProbe();
        }
      }
    })().catch((error) => this.log.warn({ err: String(error) }, "NATS status watch ended"));
  }

  private onAnnouncement(raw: string | Uint8Array | null, from: "nats" | "redis"): void {
    const announcement = parseAnnouncement(raw);
    if (!announcement) {
      if (raw !== null) this.log.warn({ from }, "ignored a malformed kill-switch announcement");
      return;
    }
    // Only announcements about our own database count (ADR 0007); before the first read we do not
    // know it, and the gate is closed anyway.
    if (this.source === null || announcement.source !== this.source) return;
    this.apply(this.machine.hint(fromAnnouncement(announcement)));
    // A resume is confirmed against PostgreSQL at once: that is what reopens the gate. A pause needs
    // no read (it has closed the gate already; the next renewal confirms it), which keeps every
    // worker's database read out of the moment everyone is stopping.
    if (from === "nats" && announcement.state === "running") this.requestProbe();
  }

  /** One round: read control_state, read the Redis key, round-trip NATS; each within a timeout. */
  private probe(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.probing) {
      this.probeAgain = true;
      return this.probing;
    }
    this.probing = (async () => {
      do {
        this.probeAgain = false;
        await this.probeOnce();
      } while (this.probeAgain && !this.stopped);
    })().finally(() => {
      this.probing = null;
    });
    return this.probing;
  }

  private requestProbe(): void {
    void this.probe();
  }

  private async probeOnce(): Promise<void> {
    if (!this.nc && "url" in this.options.nats) await this.connectOwnNats();
    const token = this.machine.beginRead();
    const t = this.probeTimeoutMs;
    const sourceBefore = this.source;
    const [db, redis, nats] = await Promise.allSettled([
      withTimeout(this.readState(), t, "PostgreSQL read"),
      withTimeout(
        sourceBefore === null
          ? this.options.redis.ping().then(() => null)
          : this.options.redis.get(this.names.redisKey(sourceBefore)),
        t,
        "Redis",
      ),
      this.nc && !this.nc.isClosed()
        ? withTimeout(this.nc.flush(), t, "NATS flush")
        : Promise.reject(new Error("no NATS connection")),
    ]);
    if (this.stopped) return;
    if (db.status === "fulfilled") {
      this.source = db.value.source;
      this.apply(this.machine.dbRead(db.value.view, token));
      this.scheduleExpiryCheck();
    } else {
      this.log.warn({ err: String(db.reason) }, "kill-switch lease not renewed");
      this.apply(this.machine.tick());
    }
    if (redis.status === "fulfilled") {
      this.apply(this.machine.setRedis(true));
      if (redis.value !== null) this.onAnnouncement(redis.value, "redis");
    } else {
      this.apply(this.machine.setRedis(false));
    }
    this.apply(this.machine.setNats(nats.status === "fulfilled"));
    if (db.status === "fulfilled") await this.flushPendingConfirmations();
  }

  private readState(): ReturnType<typeof readControlSnapshot> {
    if (this.dbReadInFlight)
      return Promise.reject(new Error("the previous PostgreSQL read has not answered yet"));
    const read = readControlSnapshot(this.options.db);
    this.dbReadInFlight = read;
    void read.then(
      () => {
        this.dbReadInFlight = null;
      },
      () => {
        this.dbReadInFlight = null;
      },
    );
    return read;
  }

  /** The lease ends between renewals when reads fail: wake up exactly then to close and stop work. */
  private scheduleExpiryCheck(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(() => {
      if (!this.stopped) this.apply(this.machine.tick());
    }, this.machine.leaseRemainingMs() + 1);
    this.expiryTimer.unref();
  }

  // --- effects -------------------------------------------------------------------------------

  private apply(effects: GateEffect[]): void {
    for (const effect of effects) {
      switch (effect.type) {
        case "opened": {
          this.log.info({ epoch: this.machine.state?.epoch }, "kill-switch gate open");
          const waiters = [...this.waiters];
          this.waiters.clear();
          for (const wake of waiters) wake();
          break;
        }
        case "closed":
          this.log.warn({ reasons: effect.reasons }, "kill-switch gate closed");
          break;
        case "paused":
          this.stats.pauses++;
          void this.stopForPause(effect.state, performance.now());
          break;
        case "lease_expired":
          this.stats.leaseExpiries++;
          void this.runHooks({ cause: "lease_expired", epoch: null, state: this.machine.state });
          break;
      }
    }
  }

  private async runHooks(cause: PauseCause): Promise<TerminatedCounts> {
    const totals: TerminatedCounts = {};
    const add = (counts: TerminatedCounts | undefined) => {
      for (const [kind, n] of Object.entries(counts ?? {})) totals[kind] = (totals[kind] ?? 0) + n;
    };
    // In-flight model calls first: aborting is synchronous and cheap.
    const aborted: TerminatedCounts = {};
    for (const [controller, kind] of this.abortables) {
      controller.abort(
        new Error(cause.cause === "pause" ? "paused by the kill-switch" : "kill-switch lease expired"),
      );
      aborted[kind] = (aborted[kind] ?? 0) + 1;
    }
    this.abortables.clear();
    add(aborted);
    const results = await Promise.allSettled(
      [...this.hooks].map((hook) =>
        withTimeout(
          Promise.resolve().then(() => hook(cause)),
          this.hookTimeoutMs,
          "pause hook",
        ),
      ),
    );
    for (const result of results) {
      if (result.status === "fulfilled") add(result.value);
      else {
        this.stats.hookErrors++;
        totals.hookErrors = (totals.hookErrors ?? 0) + 1;
        this.log.error({ err: String(result.reason) }, "pause hook failed");
      }
    }
    return totals;
  }

  private async stopForPause(state: ControlStateView, learnedAtMs: number): Promise<void> {
    const terminated = await this.runHooks({ cause: "pause", epoch: state.epoch, state });
    const tookMs = performance.now() - learnedAtMs;
    const confirmation: ControlConfirmation = {
      v: 1,
      source: this.source ?? "",
      scope: state.scope,
      epoch: state.epoch,
      instanceId: this.instanceId,
      worker: this.worker,
      pid: process.pid,
      host: os.hostname(),
      pausedAt: state.since.toISOString(),
      stoppedAt: new Date().toISOString(),
      tookMs: Math.round(tookMs * 100) / 100,
      terminated,
    };
    this.log.info(
      { epoch: state.epoch, tookMs: confirmation.tookMs, terminated },
      "stopped for the kill-switch",
    );
    // Publish first: whoever paused may be waiting for it. Then record it durably.
    try {
      if (this.nc && !this.nc.isClosed()) {
        this.nc.publish(this.names.confirmationSubject, JSON.stringify(confirmation));
      }
    } catch (error) {
      this.log.warn({ err: String(error) }, "could not publish the pause confirmation");
    }
    this.pendingConfirmations.push(confirmation);
    if (this.pendingConfirmations.length > pendingConfirmationsMax) this.pendingConfirmations.shift();
    await this.flushPendingConfirmations();
  }

  /** Records queued confirmations in order; one flush at a time, so none is written or dropped twice. */
  private flushPendingConfirmations(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      while (this.pendingConfirmations.length > 0 && !this.stopped) {
        const next = this.pendingConfirmations[0]!;
        try {
          await recordConfirmation({ db: this.options.db, confirmation: next });
          this.stats.confirmationsRecorded++;
          this.pendingConfirmations.shift();
        } catch (error) {
          // Kept for the next successful lease renewal.
          this.log.warn(
            { err: String(error), epoch: next.epoch },
            "could not record the pause confirmation yet",
          );
          return;
        }
      }
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }
}
