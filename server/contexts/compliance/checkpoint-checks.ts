// Checks signed checkpoints against the log: pure, given the checkpoints of every copy, the
// published keys and the stored hash at each checkpointed sequence. Used by the online
// verification; the offline pack verifier runs the same signature check per checkpoint.
import type { KeyObject } from "node:crypto";
import { type AuditPublicKey, checkpointSignatureProblem, type SignedCheckpoint } from "./signing";

export type CheckpointFailureReason =
  /** The signature does not verify, the key is unknown, or it was signed outside the key's validity. */
  | "checkpoint_signature"
  /** The stored chain hash at the checkpoint's sequence is not the signed one: the log was rewritten. */
  | "checkpoint_mismatch"
  /** A checkpoint points past the end of the log: events at the end were removed. */
  | "removed"
  /** A copy outside the database holds a checkpoint the database no longer has. */
  | "checkpoint_missing"
  /** A copy holds something that is not a checkpoint. */
  | "checkpoint_unreadable";

export type CheckpointFailure = {
  reason: CheckpointFailureReason;
  /** The checkpoint concerned (null for an unreadable entry). */
  checkpointSequence: number | null;
  /** The first event that can have changed, where the failure implicates events. */
  firstBadSequence: number | null;
  message: string;
};

export type CheckpointSource = { name: string; checkpoints: SignedCheckpoint[]; unreadable: string[] };

/** The name of the database copy: a checkpoint missing there but present elsewhere was deleted. */
export const databaseSource = "database";

/**
 * The first failure, most serious kind first: a bad signature or a log that no longer matches a
 * checkpoint (events were changed) before a checkpoint row that was deleted, before an unreadable
 * copy; within a kind, the lowest sequence.
 */
export function checkCheckpoints(options: {
  sources: CheckpointSource[];
  keys: Map<string, { key: KeyObject; published: AuditPublicKey }>;
  headSequence: number;
  /** The stored hash at each checkpointed sequence that exists in the log. */
  storedHashes: Map<number, string>;
}): { checked: number; failure: CheckpointFailure | null } {
  const bySequence = new Map<number, Array<{ source: string; checkpoint: SignedCheckpoint }>>();
  for (const source of options.sources) {
    for (const checkpoint of source.checkpoints) {
      const list = bySequence.get(checkpoint.sequence) ?? [];
      list.push({ source: source.name, checkpoint });
      bySequence.set(checkpoint.sequence, list);
    }
  }
  const sequences = [...bySequence.keys()].sort((a, b) => a - b);
  let checked = 0;
  let lastGood = 0;
  for (const sequence of sequences) {
    for (const { source, checkpoint } of bySequence.get(sequence)!) {
      const failure = checkOne(source, checkpoint, options, lastGood);
      if (failure) return { checked, failure };
    }
    checked++;
    lastGood = sequence;
  }
  for (const sequence of sequences) {
    const copies = bySequence.get(sequence)!;
    if (!copies.some((copy) => copy.source === databaseSource)) {
      return {
        checked,
        failure: {
          reason: "checkpoint_missing",
          checkpointSequence: sequence,
          firstBadSequence: null,
          message: `checkpoint at sequence ${sequence} is in ${copies.map((c) => c.source).join(" and ")} but not in the database: its row was deleted`,
        },
      };
    }
  }
  for (const source of options.sources) {
    if (source.unreadable.length > 0) {
      return {
        checked,
        failure: {
          reason: "checkpoint_unreadable",
          checkpointSequence: null,
          firstBadSequence: null,
          message: `${source.name}: ${source.unreadable[0]}`,
        },
      };
    }
  }
  return { checked, failure: null };
}

function checkOne(
  source: string,
  checkpoint: SignedCheckpoint,
  options: Parameters<typeof checkCheckpoints>[0],
  lastGood: number,
): CheckpointFailure | null {
  const { sequence } = checkpoint;
  const signatureProblem = checkpointSignatureProblem(checkpoint, options.keys);
  if (signatureProblem) {
    return {
      reason: "checkpoint_signature",
      checkpointSequence: sequence,
      firstBadSequence: null,
      message: `${source}: ${signatureProblem}`,
    };
  }
  if (sequence > options.headSequence) {
    return {
      reason: "removed",
      checkpointSequence: sequence,
      firstBadSequence: options.headSequence + 1,
      message: `${source}: checkpoint at sequence ${sequence} is past the end of the log (sequence ${options.headSequence}): events after ${options.headSequence} were removed`,
    };
  }
  const stored = options.storedHashes.get(sequence);
  if (stored !== checkpoint.headHash) {
    return {
      reason: "checkpoint_mismatch",
      checkpointSequence: sequence,
      firstBadSequence: lastGood + 1,
      message:
        `${source}: checkpoint at sequence ${sequence} signed hash ${checkpoint.headHash.slice(0, 12)}… ` +
        `but the log holds ${stored ? `${stored.slice(0, 12)}…` : "no event"} there: the log between ` +
        `sequences ${lastGood + 1} and ${sequence} was rewritten after it was signed`,
    };
  }
  return null;
}
