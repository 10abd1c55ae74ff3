// Creating a money intent (TREAS-001/002): one transaction that validates, deduplicates by
// idempotency key, decides with the portfolio's treasury policy (paused and frozen included), and
// on approve / needs_approval reserves the amount with a hold on the venture's budget. A hold the
// ledger refuses (not enough budget) turns the intent into a denial naming the shortfall.
//
// The hot path of the treasury, so it is written for round trips (docs/decisions/0018): BEGIN, one
// statement that reads everything the decision needs, one that places the hold and inserts the
// intent (treasury_create_intent), one that appends the events, COMMIT. Raw SQL throughout: Prisma's
// query compiler costs more than these queries (server/shared/db.ts).
import { lockControlState } from "@/server/contexts/control/api";
import {
  type ActivePolicyPointer,
  activePolicyPointerSql,
  decideMoneyIntent,
  type MoneyIntentDecision,
  type PolicyPrincipal,
  resolveActivePolicy,
} from "@/server/contexts/policy/api";
import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import { AppError, invariant } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents, type NewEvent } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { assertValidHolds } from "../ledger/holds";
import type { PlacedHold } from "../ledger/place-hold";
import { ledgerEvents, recordAccountsOpened } from "../ledger/record";
import { toLedgerError } from "../ledger/sql";
import { describeFreeze, type FreezeView } from "./freezes";
import { type HoldOn, type HoldPlan, holdPlan } from "./hold-plan";
import { type MoneyIntentInput, parseMoneyIntentInput, requestHash } from "./intent-input";
import { getIntent, type MoneyIntentStatus, type MoneyIntentView } from "./intent-view";

export const intentStream = (intentId: string) => ({ type: "money_intent", id: intentId });
export const budgetAccountId = (ventureId: string, currency: string) => `${ventureId}:budget:${currency}`;

export function principalId(principal: PolicyPrincipal): string {
  return principal.kind === "user" ? principal.userId : principal.agentId;
}

type CreateIntentOptions = {
  db: Db;
  actor: EventActor;
  correlationId: string;
  requester: PolicyPrincipal;
  input: Record<string, unknown>;
  /** Where the hold reserves the money: the venture's budget (a spend, the default) or the
   * portfolio treasury's cash (a budget allocation, ADR 0012). */
  holdOn?: HoldOn;
  /** Other ventures whose freezes also deny this intent: a budget transfer's target (ADR 0016). */
  alsoFrozenWith?: readonly string[];
};

/**
 * Creates (or, for a repeated idempotency key with the same content, returns) a money intent.
 * Same key, different content → CONFLICT. Bad input → BAD_REQUEST naming the fields, nothing written.
 */
export async function createIntent(options: CreateIntentOptions): Promise<MoneyIntentView> {
  const input = parseMoneyIntentInput(options.input);
  if (options.requester.portfolioId !== input.portfolioId) {
    throw new AppError("FORBIDDEN", "The requester does not act in this portfolio");
  }
  const hash = requestHash(input);
  // Two concurrent requests with one key: the unique (portfolio, idempotency key) index makes the
  // second wait for the first to commit and then refuses its insert; it is then run once more, and
  // reads the first's intent like any later repeat (what an advisory lock on the key did before,
  // without a round trip on every intent).
  for (let attempt = 1; ; attempt++) {
    try {
      return await createIntentOnce(options, input, hash);
    } catch (error) {
      if (attempt >= 2 || !isIdempotencyKeyTaken(error)) throw error;
    }
  }
}

/** What the decision reads, in one statement (see readState). */
type IntentState = {
  existing: { id: string; requestHash: string } | null;
  venturePortfolioId: string | null;
  freezes: FreezeView[];
  allowlist: string[];
  policy: ActivePolicyPointer;
  /** The kill-switch row, locked FOR SHARE; null only if it is missing. */
  controlState: string | null;
};

type StateRow = {
  existing: { id: string; requestHash: string } | null;
  venture_portfolio_id: string | null;
  freezes: Array<Omit<FreezeView, "frozenAt"> & { frozenAt: string }>;
  allowlist: string[];
  policy: ActivePolicyPointer;
  control_state: string | null;
};

const stateSql = `
  SELECT
    (SELECT json_build_object('id', m.id, 'requestHash', m.request_hash)
       FROM money_intents m WHERE m.portfolio_id = $1 AND m.idempotency_key = $2) AS existing,
    (SELECT v.portfolio_id FROM ventures v WHERE v.id = $3) AS venture_portfolio_id,
    (SELECT coalesce(json_agg(json_build_object(
              'id', f.id, 'portfolioId', f.portfolio_id, 'ventureId', f.venture_id, 'reason', f.reason,
              'frozenBy', f.frozen_by, 'frozenAt', f.frozen_at) ORDER BY f.frozen_at), '[]'::json)
       FROM treasury_freezes f
      WHERE f.portfolio_id = $1 AND (f.venture_id = ANY ($4::text[]) OR f.venture_id IS NULL)) AS freezes,
    (SELECT coalesce(array_agg(c.counterparty_id), '{}'::text[])
       FROM treasury_counterparties c WHERE c.venture_id = $3) AS allowlist,
    ${activePolicyPointerSql("$1", "treasury")} AS policy,
    k.state AS control_state
  FROM (SELECT 1) AS one
  -- The kill-switch row with the lock lockControlState takes (control/assert-not-paused.ts): a
  -- pause waits for this transaction, and this statement waits for a pause in progress and then
  -- reads its outcome (READ COMMITTED re-reads a locked row that changed).
  LEFT JOIN LATERAL (SELECT state FROM control_state WHERE scope = 'global' FOR SHARE) AS k ON true`;

/**
 * Everything the decision needs, in one statement: an intent already made with this key, the
 * venture's portfolio, the freezes that apply (the venture's, the portfolio's and those of
 * `alsoFrozenWith`), the counterparty allowlist, the active treasury policy version and the
 * kill-switch state, locked FOR SHARE to the end of the transaction.
 */
async function readState(
  tx: Tx,
  input: MoneyIntentInput,
  alsoFrozenWith: readonly string[],
): Promise<IntentState> {
  const [row] = await tx.$queryRawUnsafe<StateRow[]>(
    stateSql,
    input.portfolioId,
    input.idempotencyKey,
    input.ventureId,
    [input.ventureId, ...alsoFrozenWith],
  );
  invariant(row, "the intent state query returns one row");
  return {
    existing: row.existing,
    venturePortfolioId: row.venture_portfolio_id,
    freezes: row.freezes.map((f) => ({ ...f, frozenAt: new Date(f.frozenAt) })),
    allowlist: row.allowlist,
    policy: row.policy,
    controlState: row.control_state,
  };
}

async function createIntentOnce(
  options: CreateIntentOptions,
  input: MoneyIntentInput,
  hash: string,
): Promise<MoneyIntentView> {
  const requestedBy = principalId(options.requester);
  const plan = holdPlan(options.holdOn ?? "venture_budget", input);
  const created = await withTransaction(options.db, async (tx) => {
    const state = await readState(tx, input, options.alsoFrozenWith ?? []);
    if (state.existing) {
      if (state.existing.requestHash === hash) return { id: state.existing.id, view: null, opened: false };
      throw new AppError(
        "CONFLICT",
        `Idempotency key ${input.idempotencyKey} was already used for a different money intent (${state.existing.id})`,
        { fields: { idempotencyKey: "already used with different content" }, intentId: state.existing.id },
      );
    }
    if (state.venturePortfolioId !== input.portfolioId) {
      throw new AppError(
        "BAD_REQUEST",
        `Invalid money intent: ventureId: unknown venture ${input.ventureId}`,
        {
          fields: { ventureId: "unknown venture" },
        },
      );
    }
    // A missing kill-switch row: lockControlState names the problem (UNAVAILABLE, fail closed).
    const paused = (state.controlState ?? (await lockControlState(tx)).state) === "paused";
    invariant(
      state.controlState === null || ["running", "paused"].includes(state.controlState),
      "control state",
    );

    const id = `mi_${newId("event").slice(4)}`;
    const active = await resolveActivePolicy({
      db: tx,
      portfolioId: input.portfolioId,
      scope: "treasury",
      pointer: state.policy,
    });
    const decision = decideMoneyIntent({
      policy: active.policy,
      requester: options.requester,
      intent: {
        intentId: id,
        portfolioId: input.portfolioId,
        ventureId: input.ventureId,
        amountMinor: input.amountMinor,
        currency: input.currency,
        category: input.category,
        counterpartyId: input.counterparty,
      },
      counterpartyAllowlist: state.allowlist,
      frozen: state.freezes.length > 0,
      paused,
    });
    const reasons = [...state.freezes.map(describeFreeze), ...decision.reasons];
    const now = new Date();
    const expiresAt = new Date(now.getTime() + input.expiresInMinutes * 60_000);

    let status: MoneyIntentStatus =
      decision.outcome === "approve"
        ? "approved"
        : decision.outcome === "needs_approval"
          ? "pending_approval"
          : "denied";
    let hold: PlacedHold | null = null;
    const row = { id, input, hash, requestedBy, decision, now, expiresAt };
    if (status === "denied") {
      await insertIntent(tx, { ...row, status, reasons }, null);
    } else {
      await openCharts(tx, options, plan);
      const holdInput = {
        id: `${id}:hold`,
        debitAccountId: plan.debitAccountId,
        creditAccountId: plan.creditAccountId,
        amountMinor: input.amountMinor,
        expiresAt,
        memo: `money intent ${id}`,
      };
      assertValidHolds([holdInput], now, "hold");
      const placed = await insertIntent(tx, { ...row, status, reasons }, holdInput);
      if (placed.refusal) {
        const error = toLedgerError(placed.refusal);
        if (!(error instanceof AppError) || error.code !== "UNPROCESSABLE") throw error;
        status = "denied";
        reasons.push(`${plan.shortfall}: ${error.message}`);
        await insertIntent(tx, { ...row, status, reasons }, null);
      } else {
        hold = {
          holdId: holdInput.id,
          portfolioId: placed.hold!.portfolioId,
          bookId: placed.hold!.bookId,
          currency: placed.hold!.currency as PlacedHold["currency"],
          debitAccountId: holdInput.debitAccountId,
          creditAccountId: holdInput.creditAccountId,
          amountMinor: holdInput.amountMinor,
          expiresAt: holdInput.expiresAt,
          memo: holdInput.memo,
        };
      }
    }

    const approvalsRequired = status === "pending_approval" ? decision.approvalsRequired : 0;
    const events: NewEvent[] = [
      {
        type: "treasury.intent_created",
        stream: intentStream(id),
        expectedVersion: 0,
        portfolioId: input.portfolioId,
        payload: {
          intentId: id,
          portfolioId: input.portfolioId,
          ventureId: input.ventureId,
          amountMinor: input.amountMinor.toString(),
          currency: input.currency,
          counterparty: input.counterparty,
          category: input.category,
          purpose: input.purpose,
          idempotencyKey: input.idempotencyKey,
          requestedBy,
          expiresAt: expiresAt.toISOString(),
        },
      },
      {
        type: "treasury.intent_decided",
        stream: intentStream(id),
        expectedVersion: 1,
        portfolioId: input.portfolioId,
        payload: {
          intentId: id,
          status,
          decidedBy: "policy",
          reasons,
          holdId: hold?.holdId ?? null,
          approvalsRequired,
          note: null,
          decision,
        },
      },
    ];
    if (hold) events.push(ledgerEvents.holdPlaced(hold));
    // The last statement: it carries the COMMIT (BEGIN rode on the first), so the whole command is
    // three round trips.
    await appendEvents(tx, options, events, { commit: true });
    // The intent as created, so no read after the commit: a new intent has no approvals and no
    // payout yet.
    const view: MoneyIntentView = {
      id,
      portfolioId: input.portfolioId,
      ventureId: input.ventureId,
      amountMinor: input.amountMinor,
      currency: input.currency,
      counterparty: input.counterparty,
      category: input.category,
      purpose: input.purpose,
      idempotencyKey: input.idempotencyKey,
      requestedBy,
      status,
      approvalsRequired,
      approvals: [],
      reasons,
      decision,
      holdId: hold?.holdId ?? null,
      expiresAt,
      decidedAt: status === "pending_approval" ? null : now,
      decidedBy: status === "pending_approval" ? null : "policy",
      decisionNote: null,
      createdAt: now,
      settlement: null,
    };
    return { id, view, opened: decision.outcome !== "deny" };
  });
  if (created.opened) rememberOpenedCharts(options.db, plan);
  if (created.view) return created.view;
  return (await getIntent({ db: options.db, portfolioId: input.portfolioId, intentId: created.id }))!;
}

type IntentRow = {
  id: string;
  input: MoneyIntentInput;
  hash: string;
  requestedBy: string;
  status: MoneyIntentStatus;
  reasons: string[];
  decision: MoneyIntentDecision;
  now: Date;
  expiresAt: Date;
};

type RefusalRow = {
  hold_portfolio_id: string | null;
  hold_book_id: string | null;
  hold_currency: string | null;
  refusal_state: string | null;
  refusal_message: string | null;
  refusal_detail: string | null;
  refusal_constraint: string | null;
};

/**
 * Places the hold (if any) and inserts the intent row, in one statement (treasury_create_intent).
 * A hold the ledger refuses comes back as `refusal`, shaped like the driver's error so the
 * ledger's toLedgerError reads it, and then nothing was written.
 */
async function insertIntent(
  tx: Tx,
  row: IntentRow,
  hold: { id: string; debitAccountId: string; creditAccountId: string; memo: string } | null,
): Promise<{
  hold: { portfolioId: string; bookId: string; currency: string } | null;
  refusal: Error | null;
}> {
  const { input, status } = row;
  const [result] = await tx.$queryRawUnsafe<RefusalRow[]>(
    `SELECT * FROM treasury_create_intent($1, $2, $3, $4::bigint, $5, $6, $7, $8, $9, $10, $11, $12, $13,
       $14::text[], $15::jsonb, $16::timestamptz, $17::timestamptz, $18, $19::timestamptz, $20, $21, $22, $23)`,
    row.id,
    input.portfolioId,
    input.ventureId,
    input.amountMinor,
    input.currency,
    input.counterparty,
    input.category,
    input.purpose,
    input.idempotencyKey,
    row.hash,
    row.requestedBy,
    status,
    status === "pending_approval" ? row.decision.approvalsRequired : 0,
    row.reasons,
    JSON.stringify(row.decision),
    row.expiresAt,
    status === "pending_approval" ? null : row.now,
    status === "pending_approval" ? null : "policy",
    row.now,
    hold?.id ?? null,
    hold?.debitAccountId ?? null,
    hold?.creditAccountId ?? null,
    hold?.memo ?? null,
  );
  invariant(result, "treasury_create_intent returns one row");
  if (result.refusal_state !== null) {
    const refusal = Object.assign(new Error(result.refusal_message ?? "the ledger refused the hold"), {
      code: result.refusal_state,
      detail: result.refusal_detail ?? undefined,
      constraint: result.refusal_constraint ?? undefined,
    });
    return { hold: null, refusal };
  }
  if (!hold) return { hold: null, refusal: null };
  invariant(
    result.hold_portfolio_id !== null && result.hold_book_id !== null && result.hold_currency !== null,
    "a placed hold names its portfolio, book and currency",
  );
  return {
    hold: {
      portfolioId: result.hold_portfolio_id,
      bookId: result.hold_book_id,
      currency: result.hold_currency,
    },
    refusal: null,
  };
}

/**
 * Charts of accounts this process has seen open in a committed transaction, per database. Opening
 * is idempotent and accounts never change once open (ADR 0004), so a chart opened and checked once
 * need not be opened again: that saves two statements on every intent.
 */
const openedCharts = new WeakMap<Db, Set<string>>();

const chartKey = (book: HoldPlan["open"][number]) =>
  JSON.stringify([book.portfolioId, book.ventureId ?? null, book.currency, book.expenseCategories ?? null]);

async function openCharts(
  tx: Tx,
  ctx: { db: Db; actor: EventActor; correlationId: string },
  plan: HoldPlan,
): Promise<void> {
  const known = openedCharts.get(ctx.db);
  for (const book of plan.open) {
    if (known?.has(chartKey(book))) continue;
    await recordAccountsOpened(tx, ctx, book);
  }
}

/** After the commit: the plan's charts are open for good. */
function rememberOpenedCharts(db: Db, plan: HoldPlan): void {
  let known = openedCharts.get(db);
  if (!known) {
    known = new Set();
    openedCharts.set(db, known);
  }
  // A bound on memory: a process that sees more charts than this starts over (and reopens them).
  if (known.size > 100_000) known.clear();
  for (const book of plan.open) known.add(chartKey(book));
}

function isIdempotencyKeyTaken(error: unknown): boolean {
  const e = error as { code?: unknown; constraint?: unknown; message?: unknown };
  return (
    e?.code === "23505" &&
    (e.constraint === "money_intents_portfolio_id_idempotency_key_key" ||
      String(e.message).includes("money_intents_portfolio_id_idempotency_key_key"))
  );
}
