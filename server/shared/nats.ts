// NATS JetStream: connection, the streams declared in code, and subject naming. Every name is
// prefixed with the namespace so deployments and test files can share one server.
import {
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { workSubjectSuffix } from "./events/catalog/orchestration";

export type { NatsConnection };

export function natsNames(namespace: string) {
  const upper = namespace.toUpperCase();
  return {
    namespace,
    eventsStream: `${upper}_EVENTS`,
    dlqStream: `${upper}_DLQ`,
    /** Subject an event of this type is published on. */
    eventSubject: (type: string) => `${namespace}.evt.${type}`,
    eventSubjects: `${namespace}.evt.>`,
    dlqSubject: (consumer: string) => `${namespace}.dlq.${consumer}`,
    dlqSubjects: `${namespace}.dlq.>`,
    /** Work handed to agents, one subject per level and role (ADR 0009): `<ns>.work.l2.researcher`. */
    workStream: `${upper}_WORK`,
    workSubject: (suffix: string) => `${namespace}.work.${suffix}`,
    workSubjects: `${namespace}.work.>`,
    /**
     * The work subject an event is also published on, or null: a task_dispatched goes to its
     * level's (and role's) subject so each has its own durable consumer.
     */
    workSubjectFor: (event: { type: string; payload: unknown }): string | null => {
      if (event.type !== "orchestration.task_dispatched") return null;
      const payload = event.payload as { level: "L1" | "L2" | "L3"; role: string };
      return `${namespace}.work.${workSubjectSuffix(payload)}`;
    },
    /** Durable consumer names may not contain dots. */
    durable: (name: string) => `${namespace}_${name}`.replace(/[^A-Za-z0-9_-]/g, "_"),
  };
}

export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  return connect({
    servers: url.split(","),
    name,
    // Keep trying through a NATS restart: PostgreSQL is the source of truth and the outbox
    // republishes whatever was not acknowledged.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    timeout: 5_000,
  });
}

/** Declares the streams (idempotent). Limits: events kept 7 days, dead letters 30 days. */
export async function ensureStreams(nc: NatsConnection, namespace: string): Promise<JetStreamManager> {
  const names = natsNames(namespace);
  const jsm = await jetstreamManager(nc);
  const declare = async (name: string, subjects: string[], maxAgeDays: number) => {
    const config = {
      name,
      subjects,
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: maxAgeDays * 24 * 3600 * 1e9,
      // The dedupe window for msgID = event id: a republished outbox row within it is dropped.
      duplicate_window: 10 * 60 * 1e9,
      max_msg_size: 1024 * 1024,
    };
    try {
      await jsm.streams.info(name);
      await jsm.streams.update(name, config);
    } catch {
      await jsm.streams.add(config);
    }
  };
  await declare(names.eventsStream, [names.eventSubjects], 7);
  await declare(names.dlqStream, [names.dlqSubjects], 30);
  await declare(names.workStream, [names.workSubjects], 7);
  return jsm;
}

export { jetstream };
