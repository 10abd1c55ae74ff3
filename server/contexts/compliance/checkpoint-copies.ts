// The copies of signed checkpoints kept outside the database: one JSON file per checkpoint in a
// directory, and the JetStream stream <NS>_CHECKPOINTS with its own retention. A superuser who
// rewrites the database (events, chain and checkpoint rows alike) cannot rewrite these, so
// verification compares the log with them (docs/decisions/0008).
import fs from "node:fs";
import path from "node:path";
import { DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import type { NatsConnection } from "@/server/shared/nats";
import { checkpointJson, type SignedCheckpoint, signedCheckpointSchema } from "./signing";

export type CheckpointCopies = {
  /** Names the copy in verification results: "directory", "jetstream". */
  name: string;
  write(checkpoint: SignedCheckpoint): Promise<void>;
  /** Every checkpoint the copy holds, in no particular order, and what could not be read. */
  readAll(): Promise<CopiedCheckpoints>;
};

export type CopiedCheckpoints = {
  checkpoints: SignedCheckpoint[];
  /** Entries that are not checkpoints at all (e.g. "checkpoint-…42.json: not a checkpoint"). */
  unreadable: string[];
};

const fileNamePattern = /^checkpoint-(\d{20})\.json$/;

/** The directory copy's file name for a checkpoint: its zero-padded sequence, so listings sort. */
export function checkpointFileName(sequence: number): string {
  return `checkpoint-${String(sequence).padStart(20, "0")}.json`;
}

/** One file per checkpoint, named by its zero-padded sequence so a listing is in order. */
export function directoryCopies(dir: string): CheckpointCopies {
  return {
    name: "directory",
    async write(checkpoint) {
      await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
      const file = path.join(dir, checkpointFileName(checkpoint.sequence));
      const temporary = `${file}.${process.pid}.tmp`;
      // fsync before the rename: a checkpoint that is announced as written survives a crash.
      const handle = await fs.promises.open(temporary, "w", 0o644);
      try {
        await handle.writeFile(`${checkpointJson(checkpoint)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.promises.rename(temporary, file);
    },
    async readAll() {
      const result: CopiedCheckpoints = { checkpoints: [], unreadable: [] };
      if (!fs.existsSync(dir)) return result;
      const names = (await fs.promises.readdir(dir)).filter((name) => fileNamePattern.test(name)).sort();
      for (const name of names) {
        const text = await fs.promises.readFile(path.join(dir, name), "utf8");
        const parsed = signedCheckpointSchema.safeParse(safeJson(text));
        if (parsed.success) result.checkpoints.push(parsed.data);
        else result.unreadable.push(`${path.join(dir, name)} is not a signed checkpoint`);
      }
      return result;
    },
  };
}

export function checkpointStreamNames(namespace: string) {
  return { stream: `${namespace.toUpperCase()}_CHECKPOINTS`, subject: `${namespace}.audit.checkpoint` };
}

/** Declares <NS>_CHECKPOINTS (idempotent): file storage, kept retentionDays, never discarded earlier. */
export async function ensureCheckpointStream(
  nc: NatsConnection,
  namespace: string,
  retentionDays: number,
): Promise<void> {
  const names = checkpointStreamNames(namespace);
  const jsm = await jetstreamManager(nc);
  const config = {
    name: names.stream,
    subjects: [names.subject],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: retentionDays * 24 * 3600 * 1e9,
    duplicate_window: 10 * 60 * 1e9,
    max_msg_size: 4096,
  };
  try {
    await jsm.streams.info(names.stream);
    await jsm.streams.update(names.stream, config);
  } catch {
    await jsm.streams.add(config);
  }
}

/** The JetStream copy. Published with msgID = sequence, so a retried publish is dropped. */
export function jetStreamCopies(nc: NatsConnection, namespace: string): CheckpointCopies {
  const names = checkpointStreamNames(namespace);
  const js = jetstream(nc);
  return {
    name: "jetstream",
    async write(checkpoint) {
      await js.publish(names.subject, checkpointJson(checkpoint), {
        msgID: `checkpoint-${checkpoint.sequence}`,
        timeout: 5_000,
      });
    },
    async readAll() {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(names.stream).catch(() => null);
      const result: CopiedCheckpoints = { checkpoints: [], unreadable: [] };
      if (!info || info.state.messages === 0) return result;
      // An ordered consumer reads the stream once from the start and goes away by itself.
      const consumer = await js.consumers.get(names.stream);
      const messages = await consumer.consume({ max_messages: 1_000, expires: 5_000 });
      try {
        for await (const msg of messages) {
          const parsed = signedCheckpointSchema.safeParse(safeJson(msg.string()));
          if (parsed.success) result.checkpoints.push(parsed.data);
          else result.unreadable.push(`${names.stream} message ${msg.seq} is not a signed checkpoint`);
          if (msg.info.pending === 0) break;
        }
      } finally {
        await messages.close();
      }
      return result;
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
