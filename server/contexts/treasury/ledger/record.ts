// Ledger writes together with the events that record them, in the caller's transaction: every state
// change is an event (ARCHITECTURE), and the ledger module itself never appends. Use the record*
// helpers when the ledger fact is the command's only event; otherwise build the events with
// ledgerEvents.* and append them with the command's own events in one appendEvents call.
import type { Tx } from "@/server/shared/db";
import {
  type AppendedEvent,
  appendEvents,
  type CommandContext,
  type NewEvent,
} from "@/server/shared/events/store";
import type { AccountBalance } from "./account-rows";
import type { EntryInput } from "./balancing";
import { expireHolds } from "./expire-holds";
import type { HoldResolution } from "./hold-resolution";
import type { HoldInput } from "./holds";
import { type OpenedAccounts, openAccounts } from "./open-accounts";
import { type PlacedHold, placeHold } from "./place-hold";
import { type PostedEntry, postEntry } from "./post-entries";
import { postHold } from "./post-hold";
import { voidHold } from "./void-hold";

/** Stream of a hold: placed is version 1, its one resolution version 2. */
const holdStream = (holdId: string) => ({ type: "ledger_hold", id: holdId });

export const ledgerEvents = {
  /** One event per call that created accounts; its stream is the first created account (created once). */
  accountsOpened(created: readonly AccountBalance[]): NewEvent | null {
    const first = created[0];
    if (!first) return null;
    return {
      type: "treasury.accounts_opened",
      stream: { type: "ledger_accounts", id: first.id },
      expectedVersion: 0,
      portfolioId: first.portfolioId,
      payload: {
        portfolioId: first.portfolioId,
        ventureId: first.ventureId,
        bookId: first.bookId,
        currency: first.currency,
        accounts: created.map((a) => ({
          accountId: a.id,
          code: a.code,
          kind: a.kind,
          debitsMustNotExceedCredits: a.debitsMustNotExceedCredits,
          creditsMustNotExceedDebits: a.creditsMustNotExceedDebits,
          floorMinor: a.floorMinor.toString(),
        })),
      },
    };
  },

  entryPosted(entry: PostedEntry): NewEvent {
    return {
      type: "treasury.entry_posted",
      stream: { type: "ledger_entry", id: entry.entryId },
      expectedVersion: 0,
      portfolioId: entry.portfolioId,
      payload: {
        entryId: entry.entryId,
        memo: entry.memo,
        reversalOf: entry.reversalOf,
        postings: entry.postings.map((p) => ({
          accountId: p.accountId,
          currency: p.currency,
          amountMinor: p.amountMinor.toString(),
        })),
      },
    };
  },

  holdPlaced(hold: PlacedHold): NewEvent {
    return {
      type: "treasury.hold_placed",
      stream: holdStream(hold.holdId),
      expectedVersion: 0,
      portfolioId: hold.portfolioId,
      payload: {
        holdId: hold.holdId,
        bookId: hold.bookId,
        currency: hold.currency,
        debitAccountId: hold.debitAccountId,
        creditAccountId: hold.creditAccountId,
        amountMinor: hold.amountMinor.toString(),
        expiresAt: hold.expiresAt.toISOString(),
        memo: hold.memo,
      },
    };
  },

  holdResolved(resolution: HoldResolution): NewEvent {
    const ref = {
      holdId: resolution.holdId,
      bookId: resolution.bookId,
      currency: resolution.currency,
      debitAccountId: resolution.debitAccountId,
      creditAccountId: resolution.creditAccountId,
    };
    const common = {
      stream: holdStream(resolution.holdId),
      expectedVersion: 1,
      portfolioId: resolution.portfolioId,
    };
    switch (resolution.outcome) {
      case "posted":
        return {
          ...common,
          type: "treasury.hold_posted",
          payload: {
            ...ref,
            entryId: resolution.entry!.entryId,
            heldMinor: resolution.heldMinor.toString(),
            postedMinor: resolution.postedMinor.toString(),
            releasedMinor: resolution.releasedMinor.toString(),
          },
        };
      case "voided":
        return {
          ...common,
          type: "treasury.hold_voided",
          payload: { ...ref, releasedMinor: resolution.releasedMinor.toString() },
        };
      case "expired":
        return {
          ...common,
          type: "treasury.hold_expired",
          payload: {
            ...ref,
            releasedMinor: resolution.releasedMinor.toString(),
            expiresAt: resolution.expiresAt.toISOString(),
          },
        };
    }
  },
};

export async function recordAccountsOpened(
  tx: Tx,
  ctx: CommandContext,
  options: Parameters<typeof openAccounts>[1],
): Promise<OpenedAccounts & { events: AppendedEvent[] }> {
  const opened = await openAccounts(tx, options);
  const event = ledgerEvents.accountsOpened(opened.created);
  return { ...opened, events: event ? await appendEvents(tx, ctx, [event]) : [] };
}

export async function recordEntry(
  tx: Tx,
  ctx: CommandContext,
  entry: EntryInput,
): Promise<{ entry: PostedEntry; event: AppendedEvent }> {
  const posted = await postEntry(tx, entry);
  const [event] = await appendEvents(tx, ctx, [ledgerEvents.entryPosted(posted)]);
  return { entry: posted, event: event! };
}

export async function recordHoldPlaced(
  tx: Tx,
  ctx: CommandContext,
  hold: HoldInput,
): Promise<{ hold: PlacedHold; event: AppendedEvent }> {
  const placed = await placeHold(tx, hold);
  const [event] = await appendEvents(tx, ctx, [ledgerEvents.holdPlaced(placed)]);
  return { hold: placed, event: event! };
}

export async function recordHoldPosted(
  tx: Tx,
  ctx: CommandContext,
  options: Parameters<typeof postHold>[1],
): Promise<{ resolution: HoldResolution; event: AppendedEvent }> {
  const resolution = await postHold(tx, options);
  const [event] = await appendEvents(tx, ctx, [ledgerEvents.holdResolved(resolution)]);
  return { resolution, event: event! };
}

export async function recordHoldVoided(
  tx: Tx,
  ctx: CommandContext,
  options: Parameters<typeof voidHold>[1],
): Promise<{ resolution: HoldResolution; event: AppendedEvent }> {
  const resolution = await voidHold(tx, options);
  const [event] = await appendEvents(tx, ctx, [ledgerEvents.holdResolved(resolution)]);
  return { resolution, event: event! };
}

/** The expiry job's step: expire up to `limit` holds and record one event per hold. */
export async function recordHoldsExpired(
  tx: Tx,
  ctx: CommandContext,
  options: Parameters<typeof expireHolds>[1],
): Promise<{ resolutions: HoldResolution[]; events: AppendedEvent[] }> {
  const resolutions = await expireHolds(tx, options);
  const events = await appendEvents(tx, ctx, resolutions.map(ledgerEvents.holdResolved));
  return { resolutions, events };
}
