// Writes the demo portfolio's history (plan.ts) the way the system would have written it, a week
// per transaction, every event with the clock of the moment it stands for:
// - commands that take a clock run as they are: writeVenture, changeVentureStage, writeWorkstream,
//   completeWorkstreamIfDone, seedDefaultPolicies, recordAccountsOpened;
// - money moves through the ledger's own write function (postEntries → ledger_post_entries) with the
//   entries back-dated to their day (ADR 0004, "Back-dated entries"), so the database checks every
//   entry and keeps balances and daily totals exactly as for live writes, and each entry's
//   treasury.entry_posted is built by ledgerEvents, as the treasury's commands do;
// - what the dispatcher, the agent runtime and the sandbox rail would have recorded for each task
//   run, model call and payment is appended as the same events (validated against the catalog)
//   with the projection rows those commands write, in bulk: a week's tasks are created as the
//   founder's submission (ready), and the same transaction records their runs, so no scheduler
//   ever sees them waiting.
// Speed: events go out in one append per shift and actor (hundreds per call), the projection rows
// in one statement per table and week, and two lanes of ventures are written side by side while a
// third loop seals (the append and the sealer are the database's work; two backends use both cores).
// Two simplifications, both named in the README: the history's model calls are posted as settled
// entries (a hold's expiry is judged by the database clock, so holds cannot be back-dated), and its
// budget allocations are the two ledger entries an approved allocation settles into, without the
// money intent and approval that precede them live (intents are dated by the clock of the
// database). The live run goes through every step.
import { changeVentureStage } from "@/server/contexts/orchestration/change-venture-stage";
import { writeVenture } from "@/server/contexts/orchestration/create-venture";
import { writeWorkstream } from "@/server/contexts/orchestration/submit-workstream";
import { decideAttemptFailure, defaultRetryPolicy } from "@/server/contexts/orchestration/task-rules";
import { normalizeTaskSpecs } from "@/server/contexts/orchestration/task-specs";
import { completeWorkstreamIfDone } from "@/server/contexts/orchestration/task-transitions";
import { decideProvision } from "@/server/contexts/orchestration/venture";
import { seedDefaultPolicies } from "@/server/contexts/policy/api";
import { depositRequestHash, parseDepositInput } from "@/server/contexts/treasury/funding/funding-input";
import type { EntryInput } from "@/server/contexts/treasury/ledger/balancing";
import { type PostedEntry, postEntries } from "@/server/contexts/treasury/ledger/post-entries";
import { ledgerEvents, recordAccountsOpened } from "@/server/contexts/treasury/ledger/record";
import { fixedClock } from "@/server/shared/clock";
import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import { AppError, invariant } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents, type NewEvent, sealEvents } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import {
  type DemoPlan,
  type DemoScale,
  daysPerWeek,
  demoPortfolioName,
  type PlannedTask,
  type PlannedVenture,
  planDemo,
  shiftSpanMs,
  weekOf,
} from "./plan";

const currency = "USD";
const minuteMs = 60_000;
const orchestrator: EventActor = { type: "worker", id: "orchestrator" };
const runtime: EventActor = { type: "worker", id: "agent-runtime:demo-history" };
const sandboxRail: EventActor = { type: "system", id: "sandbox-rail" };
/** Payments of a shift are booked this many minutes after it starts; a retry comes every 3. */
const saleOffsetMinutes = 5;

/** The people of the demo portfolio: the founder submits work, the finance controller funds it. */
export type DemoPeople = { founder: EventActor; financeController: EventActor };

export type HistoryResult = {
  portfolioId: string;
  ventures: Array<{ id: string; name: string; fortune: string }>;
  plan: DemoPlan;
  counts: {
    events: number;
    tasks: number;
    modelCalls: number;
    sales: number;
    deposits: number;
    allocations: number;
    ledgerEntries: number;
  };
};

type VentureState = { id: string; name: string; fortune: string };

type DayRows = {
  tasks: TaskRowFinal[];
  calls: CallRow[];
  sales: SaleRow[];
};

type TaskRowFinal = {
  id: string;
  status: "succeeded" | "escalated";
  attempt: number;
  runId: string | null;
  at: Date;
  result: string | null;
  lastError: string | null;
  costMinor: bigint;
  inputTokens: number;
  outputTokens: number;
  version: number;
};

type CallRow = {
  id: string;
  ventureId: string;
  taskId: string;
  runId: string;
  seq: number;
  provider: string;
  model: string;
  maxCostMinor: bigint;
  costMinor: bigint;
  inputTokens: number;
  outputTokens: number;
  startedAt: Date;
  finishedAt: Date;
};

type SaleRow = {
  receiptId: string;
  reference: string;
  ventureId: string;
  amountMinor: bigint;
  entryId: string;
  at: Date;
};

/**
 * Seeds the demo portfolio: refuses (CONFLICT) when a portfolio of that name exists, so running it
 * twice never duplicates anything. `onPortfolio` runs in the transaction that creates the
 * portfolio (memberships); `onFunded` runs once that transaction — with the seed round — commits,
 * alongside the rest of the history (the live run starts there, so its agents need not wait for
 * the history); `onProgress` hears about each week written.
 */
export async function seedDemoHistory(options: {
  db: Db;
  scale: DemoScale;
  people: DemoPeople;
  now?: Date;
  onPortfolio?: (tx: Tx, portfolioId: string) => Promise<void>;
  onFunded?: (portfolioId: string) => Promise<void>;
  onProgress?: (message: string) => void;
}): Promise<HistoryResult> {
  const now = options.now ?? new Date();
  const plan = planDemo({ scale: options.scale, now });
  const { db, people } = options;
  // Treasury and venture business happens from 07:00; on today's date never later than now.
  const morning = (day: number, minutes = 0) => {
    const start = plan.dayStarts[day]!.getTime();
    const at = Math.max(start, Math.min(start + 7 * 60 * minuteMs, now.getTime() - 30 * minuteMs));
    return new Date(Math.min(at + minutes * minuteMs, now.getTime() - 1_000));
  };

  const counts = {
    events: 0,
    tasks: 0,
    modelCalls: 0,
    sales: 0,
    deposits: 0,
    allocations: 0,
    ledgerEntries: 0,
  };
  const portfolioId = await withTransaction(db, async (tx) => {
    // Two demo runs at once queue here; the second then finds the first's portfolio.
    await tx.$executeRawUnsafe("SELECT pg_advisory_xact_lock(hashtextextended($1, 77))", demoPortfolioName);
    const [existing] = await tx.$queryRawUnsafe<Array<{ id: string; created_at: Date }>>(
      "SELECT id, created_at FROM portfolios WHERE name = $1",
      demoPortfolioName,
    );
    if (existing) {
      throw new AppError(
        "CONFLICT",
        `The demo portfolio "${demoPortfolioName}" (${existing.id}) already exists; nothing was written`,
        { reason: "demo_exists", portfolioId: existing.id },
      );
    }
    const id = await writePortfolio(tx, db, people, morning(0));
    // The seed round: every lane's first allocations (and the live run's) draw on it.
    for (const deposit of plan.deposits.filter((d) => d.day === 0)) {
      await writeDeposit(tx, { deposit, at: morning(0), portfolioId: id, people });
      counts.deposits++;
      counts.ledgerEntries++;
    }
    await options.onPortfolio?.(tx, id);
    return id;
  });
  // The live run starts now, alongside the history; its failure is reported at the end.
  const funded = (options.onFunded?.(portfolioId) ?? Promise.resolve()).then(
    () => null,
    (error: unknown) => ({ error }),
  );

  const ventures = new Map<string, VentureState>();
  const weeks = weekOf(plan.dayStarts.length - 1) + 1;
  // Two lanes of ventures, each a sequence of week transactions, written side by side: appending
  // and sealing are the database's work, and two backends use both cores. The lanes' books are
  // disjoint but for the treasury's accounts, which only deposits and allocations lock, and a
  // transaction never waits for the other lane while holding anything it needs; a third loop seals.
  const lanes = splitLanes(plan);
  let running = lanes.length;
  let failed = false;
  let weeksDone = 0;
  // Allocations draw on the deposits dated before them. The first day's is in already; a later
  // one is the treasury lane's, so another lane's week that allocates on or after such a day waits
  // until the treasury lane has committed that deposit's week (it may hold the treasury's accounts
  // while it runs behind; the treasury lane never waits for it).
  let treasuryWeeks = 0;
  const laterDepositDays = plan.deposits.filter((d) => d.day > 0).map((d) => d.day);
  const treasuryWeekNeeded = (lane: Lane, week: number) => {
    const from = week * daysPerWeek;
    let needed = -1;
    for (const venture of lane.ventures) {
      venture.days.slice(from, from + daysPerWeek).forEach((d, i) => {
        if (d.allocationMinor === 0n) return;
        for (const depositDay of laterDepositDays) {
          if (depositDay <= from + i) needed = Math.max(needed, weekOf(depositDay));
        }
      });
    }
    return needed;
  };
  const waiters: Array<() => void> = [];
  const treasuryAt = (week: number) =>
    new Promise<void>((resolve) => {
      const check = () => (treasuryWeeks > week ? resolve() : waiters.push(check));
      check();
    });
  const sealer = (async () => {
    while (running > 0) {
      if ((await sealEvents(db, 20_000)) === 0) await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await Promise.all([
    ...lanes.map(async (lane) => {
      try {
        for (let week = 0; week < weeks && !failed; week++) {
          const needed = lane.treasury ? -1 : treasuryWeekNeeded(lane, week);
          if (needed >= 0) await treasuryAt(needed);
          if (failed) break;
          await withTransaction(db, (tx) =>
            writeWeek({ tx, lane, db, plan, week, portfolioId, people, ventures, counts, morning }),
          );
          weeksDone++;
          if (lane.treasury) {
            treasuryWeeks++;
            for (const wake of waiters.splice(0)) wake();
          }
          if (weeksDone % lanes.length === 0) {
            options.onProgress?.(
              `week ${weeksDone / lanes.length}/${weeks}: ${counts.tasks} tasks, ${counts.modelCalls} model calls, ${counts.sales} payments`,
            );
          }
        }
      } catch (error) {
        // The other lane stops at its next week; what was committed stays (a partial demo).
        failed = true;
        throw error;
      } finally {
        running--;
        // A failed treasury lane must not leave the other waiting forever.
        if (lane.treasury) {
          treasuryWeeks = Number.POSITIVE_INFINITY;
          for (const wake of waiters.splice(0)) wake();
        }
      }
    }),
    sealer,
  ]);
  const live = await funded;
  if (live) throw live.error;
  await sealEverything(db);
  // The history's events: everything of the portfolio dated up to the moment the plan ends (what
  // onPortfolio and onFunded add happens later).
  const [row] = await db.$queryRawUnsafe<Array<{ n: bigint }>>(
    "SELECT count(*) AS n FROM event_log WHERE portfolio_id = $1 AND occurred_at <= $2",
    portfolioId,
    now,
  );
  counts.events = Number(row!.n);
  return {
    portfolioId,
    ventures: plan.ventures.map((v) => ventures.get(v.key)!).filter(Boolean),
    plan,
    counts,
  };
}

/** Ventures written by one lane; the treasury's lane also records the deposits. */
type Lane = { ventures: PlannedVenture[]; treasury: boolean };

/** Two lanes of about the same number of events (largest venture first into the lighter lane). */
function splitLanes(plan: DemoPlan): Lane[] {
  const lanes: Array<Lane & { load: number }> = [
    { ventures: [], treasury: true, load: 0 },
    { ventures: [], treasury: false, load: 0 },
  ];
  const load = (v: PlannedVenture) =>
    v.days.reduce(
      (n, d) =>
        n +
        d.sales.length +
        d.tasks.reduce((m, t) => m + t.attempts.reduce((k, a) => k + 2 + a.calls.length, 2), 0),
      0,
    );
  for (const venture of [...plan.ventures].sort((a, b) => load(b) - load(a))) {
    const lighter = lanes[0]!.load <= lanes[1]!.load ? lanes[0]! : lanes[1]!;
    lighter.ventures.push(venture);
    lighter.load += load(venture);
  }
  return lanes
    .filter((l) => l.ventures.length > 0 || l.treasury)
    .map(({ ventures, treasury }) => ({ ventures, treasury }));
}

/**
 * Seals until nothing waits in the outbox. The relay may hold the sealer's lock (it seals too);
 * then this waits for it, at most a minute.
 */
export async function sealEverything(db: Db): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if ((await sealEvents(db, 50_000)) > 0) continue;
    const [row] = await db.$queryRawUnsafe<Array<{ waiting: boolean }>>(
      "SELECT EXISTS (SELECT 1 FROM outbox) AS waiting",
    );
    if (!row?.waiting || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The portfolio, its default policies and the treasury's book, dated the first morning. */
async function writePortfolio(tx: Tx, db: Db, people: DemoPeople, at: Date): Promise<string> {
  const ctx = {
    actor: people.founder,
    correlationId: newId("correlation", at.getTime()),
    clock: fixedClock(at),
  };
  const portfolioId = newId("portfolio", at.getTime());
  // What createPortfolio writes, with the clock of the first day (createPortfolio takes none).
  await appendEvents(tx, ctx, [
    {
      type: "orchestration.portfolio_created",
      stream: { type: "portfolio", id: portfolioId },
      expectedVersion: 0,
      portfolioId,
      payload: { portfolioId, name: demoPortfolioName },
    },
  ]);
  await tx.portfolio.create({
    data: { id: portfolioId, name: demoPortfolioName, version: 1, createdAt: at },
  });
  await seedDefaultPolicies({ db, ...ctx, portfolioId });
  await recordAccountsOpened(tx, ctx, { portfolioId, currency });
  return portfolioId;
}

type Step = {
  actor: EventActor;
  correlationId: string;
  /** Minutes after the shift's start. */
  offset: number;
  build: (posted: Map<string, PostedEntry>) => NewEvent[];
};

type Work = {
  venture: VentureState;
  workstreamId: string;
  correlationId: string;
  taskIds: Record<string, string>;
  versions: Map<string, number>;
};

/** One week of history in one transaction, so no task is ever seen waiting between its days. */
async function writeWeek(args: {
  tx: Tx;
  lane: Lane;
  db: Db;
  plan: DemoPlan;
  week: number;
  portfolioId: string;
  people: DemoPeople;
  ventures: Map<string, VentureState>;
  counts: HistoryResult["counts"];
  morning: (day: number, minutes?: number) => Date;
}): Promise<void> {
  const { tx, lane, plan, week, portfolioId, people, ventures, morning } = args;
  const firstDay = week * daysPerWeek;
  const lastDay = Math.min(firstDay + daysPerWeek, plan.dayStarts.length) - 1;
  // The founder plans the week's work for every venture in one go: one correlation for the week.
  const correlationId = newId("correlation", morning(firstDay).getTime());
  const work = new Map<string, Work>();
  const rows: DayRows = { tasks: [], calls: [], sales: [] };
  let evening: Date | null = null;

  for (let day = firstDay; day <= lastDay; day++) {
    await writeMorning({ ...args, day });
    const slots = plan.slots[day]!;
    if (slots.length === 0) continue;
    // A venture's workstream for the week is submitted on its first working day of the week.
    for (const planned of lane.ventures) {
      const venture = ventures.get(planned.key);
      if (!venture || work.has(planned.key) || planned.days[day]!.tasks.length === 0) continue;
      const at = morning(day, 30);
      const tasks = planned.days.slice(day, lastDay + 1).flatMap((d) => d.tasks);
      const submitted = await writeWorkstream(
        tx,
        { actor: people.founder, correlationId, clock: fixedClock(at) },
        {
          venture: { id: venture.id, portfolioId },
          title: `Week of ${plan.dayStarts[firstDay]!.toISOString().slice(0, 10)}`,
          goal: null,
          origin: "tasks",
          specs: normalizeTaskSpecs(
            tasks.map((t) => ({
              key: t.key,
              title: t.title,
              role: t.role,
              dependsOn: t.dependsOn,
              estimatedCostMinor: "500",
            })),
            { now: at },
          ),
          kind: "work",
        },
      );
      work.set(planned.key, {
        venture,
        workstreamId: submitted.workstreamId,
        correlationId,
        taskIds: submitted.taskIds,
        versions: new Map(Object.values(submitted.taskIds).map((id) => [id, 1])),
      });
    }
    const salesCorrelationId = newId("correlation", slots[0]!.getTime());
    for (let slot = 0; slot < slots.length; slot++) {
      await writeShift({ ...args, day, at: slots[slot]!, slot, work, rows, salesCorrelationId });
    }
    evening = new Date(slots[slots.length - 1]!.getTime() + shiftSpanMs - minuteMs);
  }

  await writeRows(tx, portfolioId, rows);
  // The week's end: a workstream whose tasks all succeeded completes (an escalated one stays open).
  if (evening) {
    for (const w of work.values()) {
      await completeWorkstreamIfDone(
        tx,
        { actor: orchestrator, correlationId, clock: fixedClock(evening) },
        w.workstreamId,
        evening,
      );
    }
  }
}

/** Capital into the treasury: what recordDeposit writes (entry, events, row), dated `at`. */
async function writeDeposit(
  tx: Tx,
  args: { deposit: DemoPlan["deposits"][number]; at: Date; portfolioId: string; people: DemoPeople },
): Promise<void> {
  const { deposit, at, portfolioId, people } = args;
  const treasury = (code: string) => `${portfolioId}:${code}:${currency}`;
  const ctx = {
    actor: people.financeController,
    correlationId: newId("correlation", at.getTime()),
    clock: fixedClock(at),
  };
  const input = parseDepositInput({
    portfolioId,
    amountMinor: deposit.amountMinor.toString(),
    currency,
    source: deposit.source,
    idempotencyKey: `demo-${at.toISOString().slice(0, 10)}-${deposit.source.toLowerCase().replace(/\W+/g, "-")}`,
  });
  const id = `dep_${newId("event", at.getTime()).slice(4)}`;
  const [entry] = await postEntries(tx, {
    createdAt: at,
    entries: [
      {
        id,
        memo: `deposit: ${input.source}`,
        postings: [
          { accountId: treasury("cash"), amountMinor: input.amountMinor },
          { accountId: treasury("equity"), amountMinor: -input.amountMinor },
        ],
      },
    ],
  });
  await appendEvents(tx, ctx, [
    ledgerEvents.entryPosted(entry!),
    {
      type: "treasury.deposit_recorded",
      stream: { type: "treasury_deposit", id },
      expectedVersion: 0,
      portfolioId,
      payload: {
        depositId: id,
        portfolioId,
        amountMinor: input.amountMinor.toString(),
        currency,
        source: input.source,
        idempotencyKey: input.idempotencyKey,
        entryId: id,
        depositedBy: people.financeController.id,
      },
    },
  ]);
  await tx.$executeRawUnsafe(
    `INSERT INTO treasury_deposits (id, portfolio_id, amount_minor, currency, source, idempotency_key,
       request_hash, entry_id, deposited_by, created_at)
     VALUES ($1, $2, $3::bigint, $4, $5, $6, $7, $1, $8, $9)`,
    id,
    portfolioId,
    input.amountMinor,
    currency,
    input.source,
    input.idempotencyKey,
    depositRequestHash(input),
    people.financeController.id,
    at,
  );
}

/** 07:00 — capital comes in; 07:10 — ventures start, move along their lifecycle, get budgets. */
async function writeMorning(args: {
  tx: Tx;
  lane: Lane;
  db: Db;
  plan: DemoPlan;
  day: number;
  portfolioId: string;
  people: DemoPeople;
  ventures: Map<string, VentureState>;
  counts: HistoryResult["counts"];
  morning: (day: number, minutes?: number) => Date;
}): Promise<void> {
  const { tx, lane, db, plan, day, portfolioId, people, ventures, counts, morning } = args;
  const date = plan.dayStarts[day]!.toISOString().slice(0, 10);
  const treasury = (code: string) => `${portfolioId}:${code}:${currency}`;
  // 07:00 — capital comes in (the first day's in the portfolio's own transaction).
  if (lane.treasury && day > 0) {
    for (const deposit of plan.deposits.filter((d) => d.day === day)) {
      await writeDeposit(tx, { deposit, at: morning(day), portfolioId, people });
      counts.deposits++;
      counts.ledgerEntries++;
    }
  }

  // 07:10 — ventures start, move along their lifecycle and get their budgets.
  for (const planned of lane.ventures) {
    const vDay = planned.days[day]!;
    if (day === planned.startDay) {
      const at = morning(day, 10);
      const ctx = {
        actor: people.founder,
        correlationId: newId("correlation", at.getTime()),
        clock: fixedClock(at),
      };
      const id = await writeVenture(tx, ctx, { portfolioId, name: planned.name, goal: planned.goal });
      await provision(tx, { ...ctx, actor: orchestrator, clock: fixedClock(morning(day, 11)) }, id);
      await recordAccountsOpened(
        tx,
        { ...ctx, clock: fixedClock(morning(day, 11)) },
        {
          portfolioId,
          ventureId: id,
          currency,
        },
      );
      ventures.set(planned.key, { id, name: planned.name, fortune: planned.fortune });
    }
    const venture = ventures.get(planned.key);
    if (!venture) continue;
    for (const stage of vDay.stages) {
      const at = morning(day, 15);
      await changeVentureStage({
        db,
        actor: people.founder,
        correlationId: newId("correlation", at.getTime()),
        clock: fixedClock(at),
        ventureId: venture.id,
        stage,
        reason: "Demo history",
      });
    }
    if (vDay.allocationMinor > 0n) {
      const at = morning(day, 20);
      const ctx = {
        actor: people.financeController,
        correlationId: newId("correlation", at.getTime()),
        clock: fixedClock(at),
      };
      const base = `demo-allocation:${venture.id}:${date}`;
      const memo = `budget allocation ${base} to ${venture.id}`;
      const amount = vDay.allocationMinor;
      const posted = await postEntries(tx, {
        createdAt: at,
        entries: [
          {
            id: `${base}:treasury`,
            memo,
            postings: [
              { accountId: treasury("venture_funding"), amountMinor: amount },
              { accountId: treasury("cash"), amountMinor: -amount },
            ],
          },
          {
            id: `${base}:allocation`,
            memo,
            postings: [
              { accountId: `${venture.id}:budget:${currency}`, amountMinor: amount },
              { accountId: `${venture.id}:equity:${currency}`, amountMinor: -amount },
            ],
          },
        ],
      });
      await appendEvents(tx, ctx, posted.map(ledgerEvents.entryPosted));
      counts.allocations++;
      counts.ledgerEntries += 2;
    }
  }
}

/**
 * One shift of one day: the agents' runs and the customers' payments of every venture, recorded
 * at the shift's start — the ledger entries in one call, the events in one append per actor and
 * time (dispatches, then runs, then payments; retries a few minutes later).
 */
async function writeShift(args: {
  tx: Tx;
  lane: Lane;
  plan: DemoPlan;
  day: number;
  slot: number;
  at: Date;
  portfolioId: string;
  work: Map<string, Work>;
  ventures: Map<string, VentureState>;
  rows: DayRows;
  counts: HistoryResult["counts"];
  salesCorrelationId: string;
}): Promise<void> {
  const { tx, lane, day, slot, at, portfolioId, work, ventures, rows, counts } = args;
  const entries: EntryInput[] = [];
  const steps: Step[] = [];
  const sales: SaleRow[] = [];
  for (const planned of lane.ventures) {
    const vDay = planned.days[day]!;
    const w = work.get(planned.key);
    if (w) {
      for (const task of vDay.tasks) {
        if (task.slot === slot) planTaskRun({ task, w, at, portfolioId, entries, steps, rows, counts });
      }
    }
    const venture = ventures.get(planned.key);
    if (!venture) continue;
    for (const sale of vDay.sales) {
      if (sale.slot !== slot) continue;
      const saleAt = new Date(at.getTime() + saleOffsetMinutes * minuteMs);
      const reference = `sbx_py_${newId("event", saleAt.getTime()).slice(4)}`;
      const entryId = `revenue:sandbox:${reference}`;
      entries.push({
        id: entryId,
        memo: `payment ${reference} via sandbox`,
        postings: [
          { accountId: `${venture.id}:cash:${currency}`, amountMinor: sale.amountMinor },
          { accountId: `${venture.id}:revenue:${currency}`, amountMinor: -sale.amountMinor },
        ],
      });
      sales.push({
        receiptId: newId("receipt", saleAt.getTime()),
        reference,
        ventureId: venture.id,
        amountMinor: sale.amountMinor,
        entryId,
        at: saleAt,
      });
    }
  }
  if (sales.length > 0) {
    rows.sales.push(...sales);
    counts.sales += sales.length;
    steps.push({
      actor: sandboxRail,
      correlationId: args.salesCorrelationId,
      offset: saleOffsetMinutes,
      build: (posted) =>
        sales.flatMap((r): NewEvent[] => [
          ledgerEvents.entryPosted(posted.get(r.entryId)!),
          {
            type: "treasury.revenue_received",
            stream: { type: "treasury_receipt", id: r.receiptId },
            expectedVersion: 0,
            portfolioId,
            payload: {
              receiptId: r.receiptId,
              portfolioId,
              ventureId: r.ventureId,
              rail: "sandbox",
              railReference: r.reference,
              amountMinor: r.amountMinor.toString(),
              currency,
              customer: null,
              entryId: r.entryId,
            },
          },
        ]),
    });
  }
  if (steps.length === 0) return;
  const posted = new Map<string, PostedEntry>();
  if (entries.length > 0) {
    for (const entry of await postEntries(tx, { entries, createdAt: at })) posted.set(entry.entryId, entry);
    counts.ledgerEntries += entries.length;
  }
  // In time order; within one time, every dispatch before every run (each task's dispatch comes
  // before its start, so each stream stays in version order), then payments. Consecutive steps of
  // one actor and time go out in one append.
  const rank = (step: Step) => (step.actor === orchestrator ? 0 : step.actor === runtime ? 1 : 2);
  const ordered = steps
    .map((step, i) => ({ step, i }))
    .sort((a, b) => a.step.offset - b.step.offset || rank(a.step) - rank(b.step) || a.i - b.i)
    .map((x) => x.step);
  for (let i = 0; i < ordered.length; ) {
    const first = ordered[i]!;
    const events: NewEvent[] = [];
    while (
      i < ordered.length &&
      ordered[i]!.actor === first.actor &&
      ordered[i]!.correlationId === first.correlationId &&
      ordered[i]!.offset === first.offset
    ) {
      events.push(...ordered[i]!.build(posted));
      i++;
    }
    const stepAt = new Date(at.getTime() + first.offset * minuteMs);
    await appendEvents(
      tx,
      { actor: first.actor, correlationId: first.correlationId, clock: fixedClock(stepAt) },
      events,
    );
  }
}

/** venture_provisioned, as the orchestrator's provisioning consumer writes it (provisionVenture). */
async function provision(
  tx: Tx,
  ctx: { actor: EventActor; correlationId: string; clock: ReturnType<typeof fixedClock> },
  ventureId: string,
): Promise<void> {
  const row = await tx.venture.findUnique({
    where: { id: ventureId },
    select: { id: true, portfolioId: true, status: true, version: true },
  });
  invariant(row, `venture ${ventureId} was just written`);
  const payload = decideProvision(row as Parameters<typeof decideProvision>[0], ctx.actor.id);
  invariant(payload, `venture ${ventureId} is new, so it provisions`);
  const [event] = await appendEvents(tx, ctx, [
    {
      type: "orchestration.venture_provisioned",
      stream: { type: "venture", id: ventureId },
      expectedVersion: row.version,
      portfolioId: row.portfolioId,
      payload,
    },
  ]);
  await tx.venture.update({
    where: { id: ventureId, version: row.version },
    data: { status: "ready", version: row.version + 1, provisionedAt: new Date(event!.occurredAt) },
  });
}

/**
 * One task's runs within its slot: each attempt is dispatched (orchestrator), started, makes its
 * metered model calls (their cost posted to the venture's models expense, against its budget)
 * and then succeeds, or fails and is retried a few minutes later or escalated once the retry
 * policy is exhausted — the events of dispatchPass, startTaskRun, meteredModelCall,
 * completeTaskRun and failAttempt, with the final task row.
 */
function planTaskRun(args: {
  task: PlannedTask;
  w: Work;
  at: Date;
  portfolioId: string;
  entries: EntryInput[];
  steps: Step[];
  rows: DayRows;
  counts: HistoryResult["counts"];
}): void {
  const { task, w, at, portfolioId, entries, steps, rows, counts } = args;
  const taskId = w.taskIds[task.key]!;
  const ventureId = w.venture.id;
  const ref = { taskId, ventureId, workstreamId: w.workstreamId };
  const stream = { type: "task", id: taskId };
  const policy = { ...defaultRetryPolicy, deadlineAt: null };
  const role = task.role;
  let version = w.versions.get(taskId)!;
  const next = () => version++;
  let costMinor = 0n;
  let inputTokens = 0;
  let outputTokens = 0;
  let runId: string | null = null;
  let lastError: string | null = null;
  let finishedAt = at;
  counts.tasks++;

  task.attempts.forEach((attempt, index) => {
    const n = index + 1;
    const offset = index * 3;
    const attemptAt = new Date(at.getTime() + offset * minuteMs);
    const run = newId("taskRun", attemptAt.getTime());
    runId = run;
    const dispatched = next();
    steps.push({
      actor: orchestrator,
      correlationId: w.correlationId,
      offset,
      build: () => [
        {
          type: "orchestration.task_dispatched",
          stream,
          expectedVersion: dispatched,
          portfolioId,
          payload: {
            ...ref,
            portfolioId,
            runId: run,
            attempt: n,
            level: "L2",
            role,
            kind: "work",
            timeoutMs: policy.timeoutMs,
          },
        },
      ],
    });
    const started = next();
    const calls = attempt.calls.map((call, seq) => {
      const callId = newId("modelCall", attemptAt.getTime());
      const entryId = `${callId}:cost`;
      entries.push({
        id: entryId,
        memo: `model call ${callId} of task ${taskId}`,
        postings: [
          { accountId: `${ventureId}:expense:models:${currency}`, amountMinor: call.costMinor },
          { accountId: `${ventureId}:budget:${currency}`, amountMinor: -call.costMinor },
        ],
      });
      // The hold reserved for a call is its worst case; half as much again is a fair stand-in.
      const maxCostMinor = call.costMinor + call.costMinor / 2n + 1n;
      rows.calls.push({
        id: callId,
        ventureId,
        taskId,
        runId: run,
        seq,
        provider: call.provider,
        model: call.model,
        maxCostMinor,
        costMinor: call.costMinor,
        inputTokens: call.inputTokens,
        outputTokens: call.outputTokens,
        startedAt: attemptAt,
        finishedAt: new Date(attemptAt.getTime() + call.durationMs),
      });
      costMinor += call.costMinor;
      inputTokens += call.inputTokens;
      outputTokens += call.outputTokens;
      counts.modelCalls++;
      return { call, callId, entryId, seq, maxCostMinor };
    });
    const failure = attempt.failure;
    const decision = failure ? decideAttemptFailure(policy, n, true, attemptAt) : null;
    const failedVersion = failure ? next() : 0;
    const escalatedVersion = decision?.kind === "escalate" ? next() : 0;
    const succeededVersion = failure ? 0 : next();
    const attemptCost = attempt.calls.reduce((sum, c) => sum + c.costMinor, 0n);
    steps.push({
      actor: runtime,
      correlationId: w.correlationId,
      offset,
      build: (posted) => {
        const events: NewEvent[] = [
          {
            type: "orchestration.task_started",
            stream,
            expectedVersion: started,
            portfolioId,
            payload: {
              ...ref,
              runId: run,
              attempt: n,
              worker: runtime.id,
              leaseExpiresAt: new Date(attemptAt.getTime() + 15_000).toISOString(),
            },
          },
        ];
        for (const c of calls) {
          events.push(
            {
              type: "agents.model_call_completed",
              stream: { type: "model_call", id: c.callId },
              expectedVersion: 0,
              portfolioId,
              payload: {
                callId: c.callId,
                ventureId,
                taskId,
                runId: run,
                seq: c.seq,
                provider: c.call.provider,
                model: c.call.model,
                status: "ok",
                inputTokens: c.call.inputTokens,
                outputTokens: c.call.outputTokens,
                maxCostMinor: c.maxCostMinor.toString(),
                costMinor: c.call.costMinor.toString(),
                currency,
                holdId: null,
                durationMs: c.call.durationMs,
                error: null,
              },
            },
            ledgerEvents.entryPosted(posted.get(c.entryId)!),
          );
        }
        if (failure && decision) {
          events.push({
            type: "orchestration.task_attempt_failed",
            stream,
            expectedVersion: failedVersion,
            portfolioId,
            payload: {
              ...ref,
              runId: run,
              attempt: n,
              cause: failure.cause,
              error: failure.error,
              retryable: true,
              nextAttemptAt: decision.kind === "retry" ? decision.nextAttemptAt.toISOString() : null,
            },
          });
          if (decision.kind === "escalate") {
            events.push({
              type: "orchestration.task_escalated",
              stream,
              expectedVersion: escalatedVersion,
              portfolioId,
              payload: { ...ref, attempts: n, reason: decision.reason, lastError: failure.error },
            });
          }
        } else {
          events.push({
            type: "orchestration.task_succeeded",
            stream,
            expectedVersion: succeededVersion,
            portfolioId,
            payload: {
              ...ref,
              runId: run,
              attempt: n,
              summary: task.summary,
              output: { role, summary: task.summary },
              costMinor: attemptCost.toString(),
              inputTokens: attempt.calls.reduce((sum, c) => sum + c.inputTokens, 0),
              outputTokens: attempt.calls.reduce((sum, c) => sum + c.outputTokens, 0),
            },
          });
        }
        return events;
      },
    });
    lastError = failure ? failure.error : null;
    finishedAt = attemptAt;
  });

  w.versions.set(taskId, version);
  rows.tasks.push({
    id: taskId,
    status: task.outcome,
    attempt: task.attempts.length,
    runId: task.outcome === "succeeded" ? runId : null,
    at: finishedAt,
    result:
      task.outcome === "succeeded"
        ? JSON.stringify({ summary: task.summary, output: { role, summary: task.summary } })
        : null,
    lastError,
    costMinor,
    inputTokens,
    outputTokens,
    version,
  });
}

/** The day's projection rows, in bulk: tasks to their final state, model calls, payments. */
async function writeRows(tx: Tx, portfolioId: string, rows: DayRows): Promise<void> {
  if (rows.tasks.length > 0) {
    const t = rows.tasks;
    const updated = await tx.$executeRawUnsafe(
      `UPDATE tasks SET status = d.status, attempt = d.attempt, run_id = d.run_id, dispatched_at = d.at,
              started_at = d.at, finished_at = CASE WHEN d.status = 'succeeded' THEN d.at END,
              lease_expires_at = NULL, next_attempt_at = NULL, remaining_deps = 0, result = d.result::jsonb,
              last_error = d.last_error, cost_minor = d.cost, input_tokens = d.input_tokens,
              output_tokens = d.output_tokens, version = d.version, updated_at = d.at
         FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::timestamptz[], $6::text[], $7::text[],
                     $8::bigint[], $9::int[], $10::int[], $11::int[])
              AS d(id, status, attempt, run_id, at, result, last_error, cost, input_tokens, output_tokens, version)
        WHERE tasks.id = d.id AND tasks.version = 1`,
      t.map((r) => r.id),
      t.map((r) => r.status),
      t.map((r) => r.attempt),
      t.map((r) => r.runId),
      t.map((r) => r.at),
      t.map((r) => r.result),
      t.map((r) => r.lastError),
      t.map((r) => r.costMinor),
      t.map((r) => r.inputTokens),
      t.map((r) => r.outputTokens),
      t.map((r) => r.version),
    );
    invariant(updated === t.length, `every task of the day was just created (${updated} of ${t.length})`);
  }
  if (rows.calls.length > 0) {
    const c = rows.calls;
    await tx.$executeRawUnsafe(
      `INSERT INTO agent_model_calls (id, portfolio_id, venture_id, task_id, run_id, seq, provider, model, status,
                                      max_cost_minor, cost_minor, input_tokens, output_tokens, started_at, finished_at)
       SELECT d.id, $1, d.venture_id, d.task_id, d.run_id, d.seq, d.provider, d.model, 'ok', d.max_cost, d.cost,
              d.input_tokens, d.output_tokens, d.started_at, d.finished_at
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[], $9::bigint[],
                     $10::bigint[], $11::int[], $12::int[], $13::timestamptz[], $14::timestamptz[])
              AS d(id, venture_id, task_id, run_id, seq, provider, model, max_cost, cost, input_tokens, output_tokens,
                   started_at, finished_at)`,
      portfolioId,
      c.map((r) => r.id),
      c.map((r) => r.ventureId),
      c.map((r) => r.taskId),
      c.map((r) => r.runId),
      c.map((r) => r.seq),
      c.map((r) => r.provider),
      c.map((r) => r.model),
      c.map((r) => r.maxCostMinor),
      c.map((r) => r.costMinor),
      c.map((r) => r.inputTokens),
      c.map((r) => r.outputTokens),
      c.map((r) => r.startedAt),
      c.map((r) => r.finishedAt),
    );
  }
  if (rows.sales.length > 0) {
    const s = rows.sales;
    // The sandbox bank's side of each payment (its statement, which reconciliation reads), then ours.
    await tx.$executeRawUnsafe(
      `INSERT INTO sandbox_rail_transactions (id, kind, idempotency_key, portfolio_id, venture_id, amount_minor,
                                              currency, status, outcome, description, created_at, settle_at)
       SELECT d.reference, 'payment', $1 || ':demo-' || d.reference, $1, d.venture_id, d.amount, $2, 'succeeded',
              'succeeded', 'payment', d.at, d.at
         FROM unnest($3::text[], $4::text[], $5::bigint[], $6::timestamptz[]) AS d(reference, venture_id, amount, at)`,
      portfolioId,
      currency,
      s.map((r) => r.reference),
      s.map((r) => r.ventureId),
      s.map((r) => r.amountMinor),
      s.map((r) => r.at),
    );
    await tx.$executeRawUnsafe(
      `INSERT INTO treasury_receipts (id, portfolio_id, venture_id, rail, rail_reference, amount_minor, currency,
                                      customer, entry_id, rail_created_at, received_at)
       SELECT d.id, $1, d.venture_id, 'sandbox', d.reference, d.amount, $2, NULL, d.entry_id, d.at, d.at
         FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::timestamptz[])
              AS d(id, reference, venture_id, amount, entry_id, at)`,
      portfolioId,
      currency,
      s.map((r) => r.receiptId),
      s.map((r) => r.reference),
      s.map((r) => r.ventureId),
      s.map((r) => r.amountMinor),
      s.map((r) => r.entryId),
      s.map((r) => r.at),
    );
  }
}
