// Creating a money intent (TREAS-001/002): one transaction that validates, deduplicates by
// idempotency key, decides with the portfolio's treasury policy (paused and frozen included), and
// on approve / needs_approval reserves the amount with a hold on the venture's budget. A hold the
// ledger refuses (not enough budget) turns the intent into a denial naming the shortfall.
//
// The hot path of the treasury, so it is written for round trips (docs/decisions/0018): BEGIN with
// one statement that reads everything the decisions need, one that places the holds and inserts the
// intents (treasury_create_intents), one that appends the events and carries the COMMIT. Intents
// that arrive while the path is busy share those three (group commit, docs/decisions/0020). When
// this process has read every request's state before, the intents are decided on it and the read
// is left out: the write checks that state is still so, or writes nothing and the state is read
// after all (docs/decisions/0022). Raw SQL throughout: Prisma's query compiler costs more than these
// queries (server/shared/db.ts).
import { lockControlState } from "@/server/contexts/control/api";
import {
  type ActivePolicyPointer,
  activePolicyPointerSql,
  decideMoneyIntent,
  type MoneyIntentDecision,
  type PolicyPrincipal,
  resolveActivePolicy,
} from "@/server/contexts/policy/api";
import { type Db, inTransaction, type Tx, withTransaction } from "@/server/shared/db";
import { AppError, invariant } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents, type NewEvent } from "@/server/shared/events/store";
import { GroupCommit, type Settled } from "@/server/shared/group-commit";
import { newId } from "@/server/shared/ids";
import { intentGroupSize, intentGroupsRetriedAlone, intentStateTransactions } from "@/server/shared/metrics";
import { assertValidHolds, type HoldInput } from "../ledger/holds";
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
 *
 * Outside a transaction the intent is written by the database's group commit (docs/decisions/0020):
 * alone when the path is idle, together with the intents that arrived meanwhile when it is busy.
 * Inside the caller's transaction it is written there, alone, and commits with the caller's work.
 */
export async function createIntent(options: CreateIntentOptions): Promise<MoneyIntentView> {
  const input = parseMoneyIntentInput(options.input);
  if (options.requester.portfolioId !== input.portfolioId) {
    throw new AppError("FORBIDDEN", "The requester does not act in this portfolio");
  }
  const request: IntentRequest = {
    options,
    input,
    hash: requestHash(input),
    plan: holdPlan(options.holdOn ?? "venture_budget", input),
  };
  if (inTransaction()) return createAlone(request);
  return groupCommitFor(options.db).submit(request);
}

type IntentRequest = {
  options: CreateIntentOptions;
  input: MoneyIntentInput;
  hash: string;
  plan: HoldPlan;
};

/**
 * Groups written at once, and intents in one group at most. Two runners keep both cores busy —
 * one group in PostgreSQL while the next is decided in Node — and leave the rest of the pool to
 * other work; a bench run with four showed no gain (ADR 0020).
 */
export const intentGroupCommit = { maxRunning: 2, maxBatch: 32, maxQueued: 1_024 };

const groupCommits = new WeakMap<Db, GroupCommit<IntentRequest, MoneyIntentView>>();

function groupCommitFor(db: Db): GroupCommit<IntentRequest, MoneyIntentView> {
  let groupCommit = groupCommits.get(db);
  if (!groupCommit) {
    groupCommit = new GroupCommit({
      ...intentGroupCommit,
      run: writeGroup,
      // One idempotency key twice in a group would fail the group's insert: the repeat waits for
      // the next group, and reads the first's intent.
      key: (request) => `${request.input.portfolioId}\u0000${request.input.idempotencyKey}`,
      what: "money intents",
    });
    groupCommits.set(db, groupCommit);
  }
  return groupCommit;
}

/**
 * Writes a group in one transaction. A failure of the whole group — a key taken meanwhile by a
 * request outside the group, a lost connection, a statement timeout — does not say which request
 * caused it, so each is then written again alone and answers for itself. Nothing of the failed
 * transaction stays; and if its COMMIT went through unseen, the idempotency keys return the
 * intents it wrote.
 */
async function writeGroup(group: IntentRequest[]): Promise<Array<Settled<MoneyIntentView>>> {
  intentGroupSize.observe(group.length);
  if (group.length > 1) {
    try {
      return await writeIntents(group[0]!.options.db, group);
    } catch {
      // Each request again, alone: below.
      intentGroupsRetriedAlone.inc();
    }
  }
  return Promise.all(group.map((request) => settle(createAlone(request))));
}

function settle<R>(promise: Promise<R>): Promise<Settled<R>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/**
 * One intent in a transaction of its own, or in the caller's. Two concurrent requests with one key:
 * the unique (portfolio, idempotency key) index makes the second wait for the first to commit and
 * then refuses its insert; it is then run once more, and reads the first's intent like any later
 * repeat.
 */
async function createAlone(request: IntentRequest): Promise<MoneyIntentView> {
  for (let attempt = 1; ; attempt++) {
    try {
      const [outcome] = await writeIntents(request.options.db, [request]);
      invariant(outcome, "one answer for one intent");
      if (outcome.ok) return outcome.value;
      throw outcome.error;
    } catch (error) {
      if (attempt >= 2 || !isIdempotencyKeyTaken(error)) throw error;
    }
  }
}

/** What the decision reads, in one statement (see readStates). */
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
       FROM money_intents m WHERE m.portfolio_id = i.portfolio_id AND m.idempotency_key = i.idempotency_key)
      AS existing,
    (SELECT v.portfolio_id FROM ventures v WHERE v.id = i.venture_id) AS venture_portfolio_id,
    (SELECT coalesce(json_agg(json_build_object(
              'id', f.id, 'portfolioId', f.portfolio_id, 'ventureId', f.venture_id, 'reason', f.reason,
              'frozenBy', f.frozen_by, 'frozenAt', f.frozen_at) ORDER BY f.frozen_at), '[]'::json)
       FROM treasury_freezes f
      WHERE f.portfolio_id = i.portfolio_id
        AND (f.venture_id IS NULL OR f.venture_id = i.venture_id OR ($4::jsonb -> (i.ord::int - 1)) ? f.venture_id))
      AS freezes,
    (SELECT coalesce(array_agg(c.counterparty_id), '{}'::text[])
       FROM treasury_counterparties c WHERE c.venture_id = i.venture_id) AS allowlist,
    ${activePolicyPointerSql("i.portfolio_id", "treasury")} AS policy,
    k.state AS control_state
  FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS i(portfolio_id, idempotency_key, venture_id, ord)
  -- The kill-switch row with the lock lockControlState takes (control/assert-not-paused.ts): a
  -- pause waits for this transaction, and this statement waits for a pause in progress and then
  -- reads its outcome (READ COMMITTED re-reads a locked row that changed).
  LEFT JOIN LATERAL (SELECT state FROM control_state WHERE scope = 'global' FOR SHARE) AS k ON true
  ORDER BY i.ord`;

/**
 * Everything the decisions need, in one statement, per request: an intent already made with its
 * key, its venture's portfolio, the freezes that apply (the venture's, the portfolio's and those of
 * `alsoFrozenWith`), the counterparty allowlist, the active treasury policy version and the
 * kill-switch state, locked FOR SHARE to the end of the transaction.
 */
async function readStates(tx: Tx, requests: IntentRequest[]): Promise<IntentState[]> {
  const rows = await tx.$queryRawUnsafe<StateRow[]>(
    stateSql,
    requests.map((r) => r.input.portfolioId),
    requests.map((r) => r.input.idempotencyKey),
    requests.map((r) => r.input.ventureId),
    JSON.stringify(requests.map((r) => r.options.alsoFrozenWith ?? [])),
  );
  invariant(rows.length === requests.length, "the intent state query returns one row per intent");
  return rows.map((row) => ({
    existing: row.existing,
    venturePortfolioId: row.venture_portfolio_id,
    freezes: row.freezes.map((f) => ({ ...f, frozenAt: new Date(f.frozenAt) })),
    allowlist: row.allowlist,
    policy: row.policy,
    controlState: row.control_state,
  }));
}

/** An intent decided and about to be written. */
type Draft = IntentRow & { request: IntentRequest; hold: HoldInputWithMemo | null };
type HoldInputWithMemo = HoldInput & { memo: string };

/** How each request of a transaction ends: written (a draft), already there, or refused. */
type Step = { draft: Draft } | { existingId: string } | { error: unknown };

/**
 * Writes intents in one transaction — one, or a group — in three round trips however many. When
 * this process remembers every request's state (see rememberedStates), the intents are decided on it
 * first, and one statement checks it is still so and writes them (holds and intent rows, with the
 * BEGIN); otherwise, or when it was not so, one statement reads every state and one writes. Then the
 * events go with COMMIT; only when the ledger refused a hold are the denials written in between. A
 * request refused on its own (a key reused with other content, an unknown venture, an invalid hold)
 * answers with its error, and the others are written. Throws when the transaction fails.
 */
async function writeIntents(db: Db, requests: IntentRequest[]): Promise<Array<Settled<MoneyIntentView>>> {
  const steps = await withTransaction(db, async (tx) => {
    const now = new Date();
    let written = await writeOnRememberedStates(tx, db, requests, now);
    if (!written) {
      const states = await readStates(tx, requests);
      // A missing kill-switch row: lockControlState names the problem (UNAVAILABLE, fail closed).
      const controlState = states[0]!.controlState ?? (await lockControlState(tx)).state;
      invariant(["running", "paused"].includes(controlState), "control state");
      rememberStates(db, requests, states, controlState);
      const steps = await decideAll(tx, requests, states, controlState === "paused", now);
      written = { steps, placed: await writeDrafts(tx, draftsOf(steps)) };
    }
    const { steps, placed } = written;
    const drafts = draftsOf(steps);

    const denials: Draft[] = [];
    drafts.forEach((draft, i) => {
      const outcome = placed[i]!;
      if (outcome.refusal) {
        const error = toLedgerError(outcome.refusal);
        if (!(error instanceof AppError) || error.code !== "UNPROCESSABLE") throw error;
        draft.status = "denied";
        draft.reasons.push(`${draft.request.plan.shortfall}: ${error.message}`);
        draft.hold = null;
        denials.push(draft);
      } else if (draft.hold) {
        draft.placed = outcome.hold ?? undefined;
      }
    });
    if (denials.length > 0) await insertIntents(tx, denials);

    const events = drafts.flatMap(intentEvents);
    // The last statement: it carries the COMMIT (BEGIN rode on the first).
    await appendEvents(tx, requests[0]!.options, events, { commit: true });
    return steps;
  });

  const answers: Array<Settled<MoneyIntentView>> = [];
  for (const step of steps) {
    if ("error" in step) {
      answers.push({ ok: false, error: step.error });
    } else if ("existingId" in step) {
      answers.push(await settle(readExisting(requests[answers.length]!, step.existingId)));
    } else {
      if (step.draft.decision.outcome !== "deny") rememberOpenedCharts(db, step.draft.request.plan);
      answers.push({ ok: true, value: intentView(step.draft) });
    }
  }
  return answers;
}

type Written = { steps: Step[]; placed: Placed[] };

const draftsOf = (steps: Step[]): Draft[] => steps.flatMap((step) => ("draft" in step ? [step.draft] : []));

/** Each request's decision, or the error that refuses it alone. */
async function decideAll(
  tx: Tx,
  requests: IntentRequest[],
  states: IntentState[],
  paused: boolean,
  now: Date,
): Promise<Step[]> {
  const steps: Step[] = [];
  for (const [i, request] of requests.entries()) {
    try {
      steps.push(await decide(tx, request, states[i]!, paused, now));
    } catch (error) {
      steps.push({ error });
    }
  }
  return steps;
}

/** Opens the charts the holds need (once per process, see openCharts), then places the holds and
 * inserts the intent rows; with `remembered`, only if that state still holds (else null). */
async function writeDrafts(tx: Tx, drafts: Draft[]): Promise<Placed[]>;
async function writeDrafts(tx: Tx, drafts: Draft[], remembered: RememberedState[]): Promise<Placed[] | null>;
async function writeDrafts(
  tx: Tx,
  drafts: Draft[],
  remembered?: RememberedState[],
): Promise<Placed[] | null> {
  for (const draft of drafts) if (draft.hold) await openCharts(tx, draft.request.options, draft.request.plan);
  return insertIntents(tx, drafts, remembered);
}

/**
 * The group decided on the states this process remembers for its requests, and written if they
 * still hold (one statement, treasury_create_intents_if_current). Null when a request's state is not
 * remembered, or when what was remembered no longer holds: nothing was written then, and the caller
 * reads the states.
 */
async function writeOnRememberedStates(
  tx: Tx,
  db: Db,
  requests: IntentRequest[],
  now: Date,
): Promise<Written | null> {
  const remembered = rememberedStates(db, requests);
  if (!remembered) {
    intentStateTransactions.inc({ state: "read" });
    return null;
  }
  const steps = await decideAll(
    tx,
    requests,
    remembered.map((state, i) => ({
      existing: null,
      // Remembered only for a venture that was the request's portfolio's; checked again on write.
      venturePortfolioId: requests[i]!.input.portfolioId,
      freezes: [],
      allowlist: state.allowlist,
      policy: state.policy,
      controlState: "running",
    })),
    false,
    now,
  );
  const drafts = draftsOf(steps);
  const checked = drafts.map((draft) => remembered[requests.indexOf(draft.request)]!);
  const placed = await writeDrafts(tx, drafts, checked);
  if (!placed) {
    intentStateTransactions.inc({ state: "changed" });
    forgetStates(db, requests);
    return null;
  }
  intentStateTransactions.inc({ state: "remembered" });
  return { steps, placed };
}

/**
 * What a request's decision read, remembered per process and database after each read: the
 * allowlist and the active policy pointer, for a request whose venture was its portfolio's and none
 * of whose freezes applied while the kill-switch was running. Only a hint: treasury_create_intents_if_current
 * checks all of it, and the key, where the intents are written (ADR 0022).
 */
type RememberedState = Pick<IntentState, "allowlist" | "policy"> & {
  alsoFrozenWith: readonly string[];
};

const rememberedByDb = new WeakMap<Db, Map<string, RememberedState>>();

const stateKey = (request: IntentRequest) =>
  [request.input.portfolioId, request.input.ventureId, ...(request.options.alsoFrozenWith ?? [])].join(
    "\u0000",
  );

/**
 * Every request's remembered state, or null. Also null while a request's charts of accounts are not
 * known to be open: opening them writes, and nothing may be written before the check.
 */
function rememberedStates(db: Db, requests: IntentRequest[]): RememberedState[] | null {
  const known = rememberedByDb.get(db);
  const charts = openedCharts.get(db);
  if (!known || !charts) return null;
  const states: RememberedState[] = [];
  for (const request of requests) {
    const state = known.get(stateKey(request));
    if (!state || request.plan.open.some((book) => !charts.has(chartKey(book)))) return null;
    states.push(state);
  }
  return states;
}

function rememberStates(
  db: Db,
  requests: IntentRequest[],
  states: IntentState[],
  controlState: string,
): void {
  let known = rememberedByDb.get(db);
  if (!known) {
    known = new Map();
    rememberedByDb.set(db, known);
  }
  // A bound on memory, as for opened charts: past it, start over.
  if (known.size > 100_000) known.clear();
  requests.forEach((request, i) => {
    const state = states[i]!;
    const key = stateKey(request);
    if (
      controlState === "running" &&
      state.freezes.length === 0 &&
      state.venturePortfolioId === request.input.portfolioId
    ) {
      known.set(key, {
        allowlist: state.allowlist,
        policy: state.policy,
        alsoFrozenWith: request.options.alsoFrozenWith ?? [],
      });
    } else {
      known.delete(key);
    }
  });
}

function forgetStates(db: Db, requests: IntentRequest[]): void {
  const known = rememberedByDb.get(db);
  for (const request of requests) known?.delete(stateKey(request));
}

async function readExisting(request: IntentRequest, id: string): Promise<MoneyIntentView> {
  const view = await getIntent({
    db: request.options.db,
    portfolioId: request.input.portfolioId,
    intentId: id,
  });
  invariant(view, "an intent found by its key is there");
  return view;
}

/** The decision for one request: policy (paused and frozen included), and the hold it needs. */
async function decide(
  tx: Tx,
  request: IntentRequest,
  state: IntentState,
  paused: boolean,
  now: Date,
): Promise<Step> {
  const { options, input, hash } = request;
  if (state.existing) {
    if (state.existing.requestHash === hash) return { existingId: state.existing.id };
    throw new AppError(
      "CONFLICT",
      `Idempotency key ${input.idempotencyKey} was already used for a different money intent (${state.existing.id})`,
      { fields: { idempotencyKey: "already used with different content" }, intentId: state.existing.id },
    );
  }
  if (state.venturePortfolioId !== input.portfolioId) {
    throw new AppError("BAD_REQUEST", `Invalid money intent: ventureId: unknown venture ${input.ventureId}`, {
      fields: { ventureId: "unknown venture" },
    });
  }
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
  const expiresAt = new Date(now.getTime() + input.expiresInMinutes * 60_000);
  const status: Draft["status"] =
    decision.outcome === "approve"
      ? "approved"
      : decision.outcome === "needs_approval"
        ? "pending_approval"
        : "denied";
  let hold: HoldInputWithMemo | null = null;
  if (status !== "denied") {
    hold = {
      id: `${id}:hold`,
      debitAccountId: request.plan.debitAccountId,
      creditAccountId: request.plan.creditAccountId,
      amountMinor: input.amountMinor,
      expiresAt,
      memo: `money intent ${id}`,
    };
    assertValidHolds([hold], now, "hold");
  }
  const requestedBy = principalId(options.requester);
  return {
    draft: { request, id, input, hash, requestedBy, decision, status, reasons, now, expiresAt, hold },
  };
}

function intentEvents(draft: Draft): NewEvent[] {
  const { id, input, status, reasons, decision, hold } = draft;
  const { actor, correlationId } = draft.request.options;
  const context = { actor, correlationId };
  const events: NewEvent[] = [
    {
      type: "treasury.intent_created",
      stream: intentStream(id),
      expectedVersion: 0,
      portfolioId: input.portfolioId,
      context,
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
        requestedBy: draft.requestedBy,
        expiresAt: draft.expiresAt.toISOString(),
      },
    },
    {
      type: "treasury.intent_decided",
      stream: intentStream(id),
      expectedVersion: 1,
      portfolioId: input.portfolioId,
      context,
      payload: {
        intentId: id,
        status,
        decidedBy: "policy",
        reasons,
        holdId: hold?.id ?? null,
        approvalsRequired: approvalsRequired(draft),
        note: null,
        decision,
      },
    },
  ];
  if (hold && draft.placed) {
    events.push({
      ...ledgerEvents.holdPlaced({
        holdId: hold.id,
        portfolioId: draft.placed.portfolioId,
        bookId: draft.placed.bookId,
        currency: draft.placed.currency as PlacedHold["currency"],
        debitAccountId: hold.debitAccountId,
        creditAccountId: hold.creditAccountId,
        amountMinor: hold.amountMinor,
        expiresAt: hold.expiresAt,
        memo: hold.memo,
      }),
      context,
    });
  }
  return events;
}

const approvalsRequired = (draft: Draft) =>
  draft.status === "pending_approval" ? draft.decision.approvalsRequired : 0;

/** The intent as written, so no read after the commit: a new intent has no approvals and no
 * payout yet. */
function intentView(draft: Draft): MoneyIntentView {
  const { id, input, status, reasons, decision, now } = draft;
  return {
    id,
    portfolioId: input.portfolioId,
    ventureId: input.ventureId,
    amountMinor: input.amountMinor,
    currency: input.currency,
    counterparty: input.counterparty,
    category: input.category,
    purpose: input.purpose,
    idempotencyKey: input.idempotencyKey,
    requestedBy: draft.requestedBy,
    status,
    approvalsRequired: approvalsRequired(draft),
    approvals: [],
    reasons,
    decision,
    holdId: draft.hold?.id ?? null,
    expiresAt: draft.expiresAt,
    decidedAt: status === "pending_approval" ? null : now,
    decidedBy: status === "pending_approval" ? null : "policy",
    decisionNote: null,
    createdAt: now,
    settlement: null,
  };
}

type IntentRow = {
  id: string;
  input: MoneyIntentInput;
  hash: string;
  requestedBy: string;
  /** How the policy (or the ledger) decided: the statuses an intent is created with. */
  status: Extract<MoneyIntentStatus, "approved" | "pending_approval" | "denied">;
  reasons: string[];
  decision: MoneyIntentDecision;
  now: Date;
  expiresAt: Date;
  /** Where the ledger placed the hold, once it has. */
  placed?: PlacedAt;
};

type PlacedAt = { portfolioId: string; bookId: string; currency: string };

type Placed = { hold: PlacedAt | null; refusal: Error | null };

const createParams = `$1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[],
  $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::int[], $14::jsonb, $15::jsonb[],
  $16::timestamptz[], $17::timestamptz[], $18::text[], $19::timestamptz[], $20::text[], $21::text[],
  $22::text[], $23::text[]`;
const createSql = `SELECT * FROM treasury_create_intents(${createParams})`;
/** The same parameters after the three of the state to check, numbered from $4. */
const createIfCurrentSql = `SELECT * FROM treasury_create_intents_if_current($1::jsonb, $2::jsonb, $3::jsonb, ${createParams.replace(
  /\$(\d+)/g,
  (_, n: string) => `$${Number(n) + 3}`,
)})`;

type InsertRow = {
  ord: number;
  hold_portfolio_id: string | null;
  hold_book_id: string | null;
  hold_currency: string | null;
  refusal_state: string | null;
  refusal_message: string | null;
  refusal_detail: string | null;
  refusal_constraint: string | null;
};

/**
 * Places each draft's hold (if any) and inserts its intent row, all in one statement
 * (treasury_create_intents), in order. A hold the ledger refuses comes back as that draft's
 * `refusal`, shaped like the driver's error so the ledger's toLedgerError reads it, and then
 * nothing of that draft was written.
 */
async function insertIntents(tx: Tx, drafts: Draft[]): Promise<Placed[]>;
async function insertIntents(
  tx: Tx,
  drafts: Draft[],
  remembered?: RememberedState[],
): Promise<Placed[] | null>;
async function insertIntents(
  tx: Tx,
  drafts: Draft[],
  remembered?: RememberedState[],
): Promise<Placed[] | null> {
  if (drafts.length === 0) return [];
  const column = <V>(f: (draft: Draft) => V) => drafts.map(f);
  const pending = (d: Draft) => d.status === "pending_approval";
  const checks = remembered
    ? [
        JSON.stringify(remembered.map((state) => state.policy)),
        JSON.stringify(remembered.map((state) => state.allowlist)),
        JSON.stringify(remembered.map((state) => state.alsoFrozenWith)),
      ]
    : [];
  const rows = await tx.$queryRawUnsafe<InsertRow[]>(
    remembered ? createIfCurrentSql : createSql,
    ...checks,
    column((d) => d.id),
    column((d) => d.input.portfolioId),
    column((d) => d.input.ventureId),
    column((d) => d.input.amountMinor),
    column((d) => d.input.currency),
    column((d) => d.input.counterparty),
    column((d) => d.input.category),
    column((d) => d.input.purpose),
    column((d) => d.input.idempotencyKey),
    column((d) => d.hash),
    column((d) => d.requestedBy),
    column((d) => d.status),
    column(approvalsRequired),
    JSON.stringify(column((d) => d.reasons)),
    column((d) => JSON.stringify(d.decision)),
    column((d) => d.expiresAt),
    column((d) => (pending(d) ? null : d.now)),
    column((d) => (pending(d) ? null : "policy")),
    column((d) => d.now),
    column((d) => d.hold?.id ?? null),
    column((d) => d.hold?.debitAccountId ?? null),
    column((d) => d.hold?.creditAccountId ?? null),
    column((d) => d.hold?.memo ?? null),
  );
  // No rows: a remembered state no longer holds, and nothing was written.
  if (remembered && rows.length === 0) return null;
  invariant(rows.length === drafts.length, "treasury_create_intents returns one row per intent");
  return rows.map((result, i) => {
    if (result.refusal_state !== null) {
      const refusal = Object.assign(new Error(result.refusal_message ?? "the ledger refused the hold"), {
        code: result.refusal_state,
        detail: result.refusal_detail ?? undefined,
        constraint: result.refusal_constraint ?? undefined,
      });
      return { hold: null, refusal };
    }
    if (!drafts[i]!.hold) return { hold: null, refusal: null };
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
  });
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
