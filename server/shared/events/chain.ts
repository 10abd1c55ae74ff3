// The hash chain: pure functions shared by the database (venture_append_events computes the same
// function in SQL), the online verifier and the offline evidence-pack verifier.
import { createHash } from "node:crypto";

export const genesisHash = "0".repeat(64);

/** hash = sha256(prevHash || '|' || sequence || '|' || envelope), hex. */
export function chainHash(prevHash: string, sequence: number | bigint, envelope: string): string {
  return createHash("sha256").update(`${prevHash}|${sequence}|`).update(envelope).digest("hex");
}

export type ChainRow = { sequence: number; id: string; envelope: string; prevHash: string; hash: string };

export type ChainFailureReason =
  /** The row's content no longer hashes to its stored hash: the event was modified. */
  | "modified"
  /** A sequence number is missing: an event was removed. */
  | "removed"
  /** The row does not link to its predecessor: an event was inserted or the order changed. */
  | "inserted_or_reordered"
  /** The chain head does not match the last event: events at the end were removed or added. */
  | "head_mismatch";

export type ChainFailure = {
  sequence: number;
  eventId: string | null;
  reason: ChainFailureReason;
  message: string;
};

/**
 * Incremental verifier: feed rows in sequence order; the first failure is kept and names the
 * event. Holds only the previous hash and sequence, so memory stays constant for any length.
 */
export class ChainVerifier {
  private prevHash: string;
  private prevSequence: number;
  checked = 0;
  bytes = 0;
  failure: ChainFailure | null = null;

  constructor(start: { sequence: number; hash: string } = { sequence: 0, hash: genesisHash }) {
    this.prevHash = start.hash;
    this.prevSequence = start.sequence;
  }

  /** Returns false once a failure has been found. */
  push(row: ChainRow): boolean {
    if (this.failure) return false;
    const expected = this.prevSequence + 1;
    if (row.sequence !== expected) {
      return this.fail(
        expected,
        null,
        row.sequence > expected ? "removed" : "inserted_or_reordered",
        row.sequence > expected
          ? `event at sequence ${expected} is missing (next present is ${row.sequence})`
          : `sequence ${row.sequence} (${row.id}) appears after sequence ${this.prevSequence}`,
      );
    }
    if (row.prevHash !== this.prevHash) {
      return this.fail(
        row.sequence,
        row.id,
        "inserted_or_reordered",
        `event ${row.id} at sequence ${row.sequence} does not link to the event before it`,
      );
    }
    if (chainHash(row.prevHash, row.sequence, row.envelope) !== row.hash) {
      return this.fail(
        row.sequence,
        row.id,
        "modified",
        `event ${row.id} at sequence ${row.sequence} was modified: its content does not match its hash`,
      );
    }
    this.prevHash = row.hash;
    this.prevSequence = row.sequence;
    this.checked++;
    this.bytes += row.envelope.length;
    return true;
  }

  /** Checks that the recorded head (sequence and hash) is where the walk ended. */
  finish(head: { sequence: number; hash: string } | null): ChainFailure | null {
    if (!this.failure && head && (head.sequence !== this.prevSequence || head.hash !== this.prevHash)) {
      this.fail(
        Math.min(head.sequence, this.prevSequence + 1),
        null,
        "head_mismatch",
        `chain head says sequence ${head.sequence} but the log ends at ${this.prevSequence}`,
      );
    }
    return this.failure;
  }

  get last(): { sequence: number; hash: string } {
    return { sequence: this.prevSequence, hash: this.prevHash };
  }

  private fail(sequence: number, eventId: string | null, reason: ChainFailureReason, message: string): false {
    this.failure = { sequence, eventId, reason, message };
    return false;
  }
}
