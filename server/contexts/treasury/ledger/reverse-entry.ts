import { AppError } from "@/server/shared/errors";
import { reversalPostings } from "./balancing";
import { type PostedEntry, postEntry, readEntryPostings } from "./post-entries";
import type { LedgerTx } from "./sql";

/**
 * Corrects an entry the only way the ledger allows: a new entry with every posting negated,
 * pointing at the original. An entry is reversed at most once (unique in the database); a hold's
 * settlement can be reversed like any posted entry.
 */
export async function reverseEntry(
  tx: LedgerTx,
  options: { id: string; entryId: string; memo?: string | null },
): Promise<PostedEntry> {
  const original = (await readEntryPostings(tx, [options.entryId])).get(options.entryId);
  if (!original) {
    throw new AppError("NOT_FOUND", `Entry ${options.entryId} does not exist`, {
      reason: "unknown_entry",
      fields: { entryId: "unknown entry" },
    });
  }
  return postEntry(tx, {
    id: options.id,
    postings: reversalPostings(original.postings),
    memo: options.memo ?? `reversal of ${options.entryId}`,
    reversalOf: options.entryId,
  });
}
