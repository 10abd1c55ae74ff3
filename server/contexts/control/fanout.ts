// Fan-out of the kill-switch state after it commits: a NATS core message on `<ns>.control` for the
// gates that listen, and a Redis key for whoever reads instead of listening. Both are hints that
// make workers stop sooner; PostgreSQL stays the truth, and every gate re-reads it (ADR 0007).
// Announcements name the database they describe, so gates of a deployment that shares the NATS
// namespace but not the database (a test run, a staging copy) ignore them.
import { z } from "zod";
import { controlScopes } from "@/server/shared/events/catalog/control";
import { actorTypes } from "@/server/shared/events/envelope";
import type { NatsConnection } from "@/server/shared/nats";
import type { Redis } from "@/server/shared/redis";
import { type ControlStateView, controlStates } from "./control-state";

export function controlNames(namespace: string) {
  return {
    /** Core NATS subject the state is announced on. */
    stateSubject: `${namespace}.control`,
    /** Core NATS subject worker instances publish their pause confirmations on. */
    confirmationSubject: `${namespace}.control.confirmed`,
    /** Redis key (the client adds the namespace prefix) holding the last announcement for a database. */
    redisKey: (source: string) => `control:${source}:global`,
  };
}

export const announcementSchema = z
  .object({
    v: z.literal(1),
    /** The database (current_database()) whose control_state this describes. */
    source: z.string().min(1),
    scope: z.enum(controlScopes),
    state: z.enum(controlStates),
    epoch: z.number().int().min(0),
    since: z.iso.datetime({ offset: true }),
    by: z.object({ type: z.enum(actorTypes), id: z.string(), name: z.string() }),
    reason: z.string(),
  })
  .strict();

export type ControlAnnouncement = z.infer<typeof announcementSchema>;

export function toAnnouncement(view: ControlStateView, source: string): ControlAnnouncement {
  return {
    v: 1,
    source,
    scope: view.scope,
    state: view.state,
    epoch: view.epoch,
    since: view.since.toISOString(),
    by: view.by,
    reason: view.reason,
  };
}

export function fromAnnouncement(announcement: ControlAnnouncement): ControlStateView {
  return {
    scope: announcement.scope,
    state: announcement.state,
    epoch: announcement.epoch,
    since: new Date(announcement.since),
    by: announcement.by,
    reason: announcement.reason,
  };
}

/** Parses an announcement from NATS or Redis; anything malformed is ignored (null), never trusted. */
export function parseAnnouncement(raw: string | Uint8Array | null): ControlAnnouncement | null {
  if (raw === null) return null;
  try {
    const text = typeof raw === "string" ? raw : new TextDecoder().decode(raw);
    const parsed = announcementSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export const confirmationSchema = z
  .object({
    v: z.literal(1),
    source: z.string().min(1),
    scope: z.enum(controlScopes),
    epoch: z.number().int().positive(),
    instanceId: z.string().min(1),
    worker: z.string().min(1),
    pid: z.number().int(),
    host: z.string(),
    pausedAt: z.iso.datetime({ offset: true }),
    stoppedAt: z.iso.datetime({ offset: true }),
    tookMs: z.number().min(0),
    terminated: z.record(z.string(), z.number().int().min(0)),
  })
  .strict();

export type ControlConfirmation = z.infer<typeof confirmationSchema>;

export type FanoutOutcome = "ok" | "failed";
export type FanoutReport = { nats: FanoutOutcome; redis: FanoutOutcome };

export interface ControlFanout {
  /** Publishes the state; never throws: the state is already committed, and gates re-read it. */
  announce(announcement: ControlAnnouncement): Promise<FanoutReport>;
}

/**
 * Redis keeps the last announcement for an hour: only a hint, written again by every change, and
 * gates treat a missing key as "no news" (PostgreSQL is read every second anyway). The expiry also
 * clears keys of databases that are gone (test runs).
 */
const redisTtlSeconds = 3600;
const fanoutTimeoutMs = 2_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function createControlFanout(options: {
  namespace: string;
  nc: NatsConnection | null;
  redis: Redis | null;
  onError?: (channel: "nats" | "redis", error: unknown) => void;
}): ControlFanout {
  const names = controlNames(options.namespace);
  return {
    async announce(announcement) {
      const body = JSON.stringify(announcement);
      const nats = async (): Promise<FanoutOutcome> => {
        if (!options.nc || options.nc.isClosed()) throw new Error("no NATS connection");
        options.nc.publish(names.stateSubject, body);
        // flush() is a round trip: the server has the message once it resolves.
        await withTimeout(options.nc.flush(), fanoutTimeoutMs, "NATS flush");
        return "ok";
      };
      const redis = async (): Promise<FanoutOutcome> => {
        if (!options.redis) throw new Error("no Redis connection");
        await withTimeout(
          options.redis.set(names.redisKey(announcement.source), body, "EX", redisTtlSeconds),
          fanoutTimeoutMs,
          "Redis SET",
        );
        return "ok";
      };
      const [n, r] = await Promise.allSettled([nats(), redis()]);
      if (n.status === "rejected") options.onError?.("nats", n.reason);
      if (r.status === "rejected") options.onError?.("redis", r.reason);
      return {
        nats: n.status === "fulfilled" ? "ok" : "failed",
        redis: r.status === "fulfilled" ? "ok" : "failed",
      };
    },
  };
}
