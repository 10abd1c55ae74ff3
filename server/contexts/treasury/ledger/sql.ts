// How the ledger talks to PostgreSQL: raw SQL through the caller's transaction, one statement per
// call, and every database refusal turned into an AppError that names the account, hold or field.
import { AppError } from "@/server/shared/errors";
import { unbalancedError } from "./balancing";
import { type Currency, parseMinor } from "./currency";
import { exceedsHoldError, holdExpiredError, holdResolvedError } from "./holds";
import { floorBreachError } from "./limits";

/**
 * What the ledger needs from a Prisma transaction or client: raw queries only, so each ledger write
 * is one round trip. Given the client rather than a transaction, the statement is its own
 * transaction (useful when the ledger write is all a step does, as in the benchmark).
 */
export interface LedgerTx {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
}

/** Runs one statement and maps a refusal to an AppError; `locate` names input fields. */
export function runLedgerSql<T>(
  tx: LedgerTx,
  sql: string,
  params: unknown[],
  locate: RefusalLocator = {},
): Promise<T[]> {
  // One promise rather than an async function's layers: this runs on every ledger write.
  let pending: PromiseLike<T[]>;
  try {
    pending = tx.$queryRawUnsafe<T[]>(sql, ...params);
  } catch (error) {
    return Promise.reject(toLedgerError(error, locate));
  }
  return Promise.resolve(pending).then(undefined, (error: unknown) => {
    throw toLedgerError(error, locate);
  });
}

/** Maps refusals that point into the caller's input to the input's field names. */
export type RefusalLocator = {
  /** The field of the posting at this 1-based position of the flattened batch. */
  posting?: (ordinal: number) => string;
  /** The field prefix of the hold with this id ("" for a single hold, "holds[3]." in a batch). */
  hold?: (holdId: string) => string;
  /** The field prefix of the entry with this id. */
  entry?: (entryId: string) => string;
};

type Refusal = { reason: string } & Record<string, unknown>;

const refusalPattern = /ledger refused: (\{.*\})/;

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const meta = (error as { meta?: unknown }).meta;
  let metaText = "";
  try {
    metaText =
      meta === undefined
        ? ""
        : JSON.stringify(meta, (_key, value: unknown) =>
            value instanceof Error
              ? { ...value, message: value.message }
              : typeof value === "bigint"
                ? value.toString()
                : value,
          );
  } catch {
    metaText = "";
  }
  const code = (error as { code?: unknown }).code;
  return `${typeof code === "string" ? `[${code}] ` : ""}${error.message} ${metaText}`;
}

export function parseRefusal(error: unknown): Refusal | null {
  const match = refusalPattern.exec(errorText(error));
  if (!match) return null;
  // Prisma quotes the database message; the JSON itself never contains a backtick.
  const json = match[1]!.split("`")[0]!;
  try {
    const parsed = JSON.parse(json) as Refusal;
    return typeof parsed.reason === "string" ? parsed : null;
  } catch {
    return null;
  }
}

function text(refusal: Refusal, key: string): string {
  const value = refusal[key];
  return typeof value === "string" ? value : String(value);
}

/** A database error as the AppError a caller should see, or the error itself when it is a bug. */
export function toLedgerError(error: unknown, locate: RefusalLocator = {}): unknown {
  if (error instanceof AppError) return error;
  const refusal = parseRefusal(error);
  if (refusal) return refusalError(refusal, locate);
  const message = errorText(error);
  if (/40P01|deadlock detected/.test(message)) {
    return new AppError(
      "CONFLICT",
      "The ledger write collided with a concurrent one (deadlock); retry the command",
      {
        reason: "deadlock",
      },
    );
  }
  if (/40001|could not serialize/.test(message)) {
    return new AppError(
      "CONFLICT",
      "The ledger write collided with a concurrent one (serialization); retry the command",
      {
        reason: "serialization",
      },
    );
  }
  const duplicate = duplicateError(error, message, locate);
  if (duplicate) return duplicate;
  if (/22003|out of range|ValueOutOfRange/.test(message)) {
    return new AppError("UNPROCESSABLE", "An amount or balance would exceed 64 bits", { reason: "overflow" });
  }
  return error;
}

/**
 * A unique key the ledger relies on (an id reused, a hold settled or an entry reversed twice),
 * named by its constraint; the key's value comes from the driver's detail when it has one.
 */
function duplicateError(error: unknown, message: string, locate: RefusalLocator): AppError | null {
  if (!/23505|UniqueConstraintViolation|duplicate key/.test(message)) return null;
  const constraint = /ledger_[a-z_]+_(?:pkey|key)/.exec(
    `${String((error as { constraint?: unknown }).constraint ?? "")} ${message}`,
  )?.[0];
  const detail = String((error as { detail?: unknown }).detail ?? message);
  const key = /Key \([^)]*\)=\(([^)]*)\)/.exec(detail)?.[1] ?? null;
  switch (constraint) {
    case "ledger_entries_pkey":
      return new AppError("CONFLICT", `Entry ${key ?? "(id)"} already exists; entries are never rewritten`, {
        reason: "entry_exists",
        entryId: key,
        fields: { [`${key === null ? "" : (locate.entry?.(key) ?? "")}id`]: "already exists" },
      });
    case "ledger_holds_pkey":
      return new AppError("CONFLICT", `Hold ${key ?? "(id)"} already exists`, {
        reason: "hold_exists",
        holdId: key,
        fields: { [`${key === null ? "" : (locate.hold?.(key) ?? "")}id`]: "already exists" },
      });
    case "ledger_entries_reversal_of_key":
      return new AppError("CONFLICT", `Entry ${key ?? ""} is already reversed`, {
        reason: "already_reversed",
        fields: { reversalOf: "already reversed" },
      });
    case "ledger_entries_hold_id_key":
    case "ledger_hold_resolutions_pkey":
      return new AppError("UNPROCESSABLE", `Hold ${key ?? ""} already resolved; a hold resolves once`, {
        reason: "hold_resolved",
        holdId: key,
      });
    default:
      return new AppError(
        "CONFLICT",
        `A concurrent command already wrote this ledger record (${constraint ?? "unique key"})`,
        { reason: "duplicate" },
      );
  }
}

function refusalError(refusal: Refusal, locate: RefusalLocator): AppError {
  const entryPrefix = (id: unknown) => (typeof id === "string" ? (locate.entry?.(id) ?? "") : "");
  const holdPrefix = (id: unknown) => (typeof id === "string" ? (locate.hold?.(id) ?? "") : "");
  switch (refusal.reason) {
    case "unknown_account": {
      const field =
        typeof refusal.index === "number" && locate.posting
          ? locate.posting(refusal.index)
          : `${holdPrefix(refusal.holdId)}${refusal.side === "credit" ? "creditAccountId" : "debitAccountId"}`;
      return new AppError("NOT_FOUND", `Account ${text(refusal, "accountId")} does not exist (${field})`, {
        reason: "unknown_account",
        accountId: refusal.accountId,
        fields: { [field]: "unknown account" },
      });
    }
    case "entry_exists":
      return new AppError(
        "CONFLICT",
        `Entry ${text(refusal, "entryId")} already exists; entries are never rewritten`,
        {
          reason: "entry_exists",
          entryId: refusal.entryId,
          fields: { [`${entryPrefix(refusal.entryId)}id`]: "already exists" },
        },
      );
    case "unbalanced": {
      const error = unbalancedError(
        text(refusal, "entryId"),
        text(refusal, "bookId"),
        text(refusal, "currency") as Currency,
        parseMinor(text(refusal, "sumMinor")),
      );
      error.details.fields = {
        [`${entryPrefix(refusal.entryId)}postings`]: "unbalanced per book and currency",
      };
      return error;
    }
    case "mixed_portfolios":
      return new AppError(
        "BAD_REQUEST",
        `Entry ${text(refusal, "entryId")} posts to accounts of more than one portfolio`,
        {
          reason: "mixed_portfolios",
          entryId: refusal.entryId,
          fields: { [`${entryPrefix(refusal.entryId)}postings`]: "accounts of one portfolio only" },
        },
      );
    case "below_floor": {
      const availableMinor = parseMinor(text(refusal, "availableMinor"));
      const changeMinor = parseMinor(text(refusal, "changeMinor"));
      const floorMinor = parseMinor(text(refusal, "floorMinor"));
      return floorBreachError({
        accountId: text(refusal, "accountId"),
        currency: text(refusal, "currency") as Currency,
        floorMinor,
        availableMinor,
        changeMinor,
        shortfallMinor: floorMinor - (availableMinor + changeMinor),
      });
    }
    case "hold_ledger_mismatch":
      return new AppError(
        "BAD_REQUEST",
        `Hold ${text(refusal, "holdId")}: accounts ${text(refusal, "debitAccountId")} and ${text(refusal, "creditAccountId")} ` +
          "must be different accounts of the same book and currency",
        {
          reason: "hold_ledger_mismatch",
          holdId: refusal.holdId,
          fields: {
            [`${holdPrefix(refusal.holdId)}creditAccountId`]: "same book and currency as debitAccountId",
          },
        },
      );
    case "hold_exists":
      return new AppError("CONFLICT", `Hold ${text(refusal, "holdId")} already exists`, {
        reason: "hold_exists",
        holdId: refusal.holdId,
        fields: { [`${holdPrefix(refusal.holdId)}id`]: "already exists" },
      });
    case "expiry_not_future":
      return new AppError(
        "BAD_REQUEST",
        `Hold ${text(refusal, "holdId")} would expire at ${text(refusal, "expiresAt")}, not after the database clock (${text(refusal, "now")})`,
        {
          reason: "expiry_not_future",
          holdId: refusal.holdId,
          fields: { [`${holdPrefix(refusal.holdId)}expiresAt`]: "must be in the future" },
        },
      );
    case "created_at_in_future":
      return new AppError(
        "BAD_REQUEST",
        `Entries cannot be dated ${text(refusal, "createdAt")}, after the database clock (${text(refusal, "now")})`,
        { reason: "created_at_in_future", fields: { createdAt: "not after now" } },
      );
    case "unknown_hold":
      return new AppError("NOT_FOUND", `Hold ${text(refusal, "holdId")} does not exist`, {
        reason: "unknown_hold",
        holdId: refusal.holdId,
        fields: { holdId: "unknown hold" },
      });
    case "hold_resolved":
      return holdResolvedError(text(refusal, "holdId"), text(refusal, "outcome"));
    case "hold_expired":
      return holdExpiredError(text(refusal, "holdId"), text(refusal, "expiresAt"));
    case "exceeds_hold":
      return exceedsHoldError(
        text(refusal, "holdId"),
        parseMinor(text(refusal, "heldMinor")),
        parseMinor(text(refusal, "requestedMinor")),
      );
    default:
      return new AppError(
        "UNPROCESSABLE",
        `The ledger refused the write: ${JSON.stringify(refusal)}`,
        refusal,
      );
  }
}

/** Dates come back as Date from Prisma and pg alike; a string is accepted for other drivers. */
export function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}
