// What must hold after any fault (issue 8, SPEC invariants 1, 2 and 5): every task completed exactly
// once, no ledger posting or settlement twice, the ledger's invariants, the event chain. Each check
// names what it found, so one failing run shows every problem at once.
import { trialBalance } from "@/server/contexts/treasury/ledger/trial-balance";
import { verifyLedger } from "@/server/contexts/treasury/ledger/verify-ledger";
import type { Db } from "@/server/shared/db";
import { verifyEventLog } from "@/server/shared/events/verify";
import type { Portfolio } from "./portfolio";
import { progress } from "./summary";

export type Integrity = {
  problems: string[];
  figures: {
    tasks: number;
    events: number;
    modelCalls: number;
    holds: number;
    intents: number;
    allocationsSettled: number;
    /** Attempts that failed or were aborted and were retried (lost runs, cut-off calls). */
    taskRetries: number;
    /** The same, by cause: lease_expired (the run's agent died), dispatch_expired (nobody started
     * the dispatched run: its message was lost or its agent died first), error, aborted … */
    retriesByCause: Record<string, number>;
    /** Model calls cut off between their hold and its settlement: the hold waits for expiry. */
    holdsLeftToExpire: number;
  };
};

type Count = { n: number };

async function rows<T>(db: Db, sql: string, ...params: unknown[]): Promise<T[]> {
  return db.$queryRawUnsafe<T[]>(sql, ...params);
}

async function count(db: Db, sql: string, ...params: unknown[]): Promise<number> {
  const [row] = await rows<Count>(db, sql, ...params);
  return row?.n ?? 0;
}

/** Waits until no task of the portfolio is still on its way (or the time is up). */
export async function waitForQuiet(db: Db, portfolioId: string, timeoutMs: number): Promise<boolean> {
  const started = Date.now();
  let reported = started;
  for (;;) {
    const open = await count(
      db,
      `SELECT count(*)::int AS n FROM tasks WHERE portfolio_id = $1
          AND status IN ('pending', 'ready', 'waiting_budget', 'dispatched', 'running', 'retry_wait')`,
      portfolioId,
    ).catch(() => -1);
    // Projections and the relay lag a little behind the last task.
    const lagging =
      open === 0
        ? await count(
            db,
            `SELECT ((SELECT count(*) FROM outbox)
                   + (SELECT count(*) FROM tasks t WHERE t.portfolio_id = $1 AND t.status = 'succeeded'
                        AND NOT EXISTS (SELECT 1 FROM venture_memory m WHERE m.task_id = t.id AND m.kind = 'result'))
                   + (SELECT count(*) FROM event_chain c WHERE c.sequence > (SELECT sequence FROM relay_cursors WHERE name = 'jetstream'))
                   + (SELECT count(*) FROM money_intents i WHERE i.portfolio_id = $1 AND i.status = 'approved'
                        AND i.category NOT IN ('budget_allocation', 'budget_transfer')))::int AS n`,
            portfolioId,
          ).catch(() => -1)
        : -1;
    if (open === 0 && lagging === 0) return true;
    if (Date.now() - started > timeoutMs) return false;
    if (Date.now() - reported > 5_000) {
      reported = Date.now();
      progress(
        open === 0
          ? `waiting: ${lagging} projections, publications or payouts behind`
          : `waiting: ${open} tasks on their way`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function checkIntegrity(db: Db, portfolio: Portfolio): Promise<Integrity> {
  const { portfolioId } = portfolio;
  const problems: string[] = [];
  const report = (what: string, found: unknown[]) => {
    if (found.length > 0)
      problems.push(
        `${what}: ${JSON.stringify(found.slice(0, 10))}${found.length > 10 ? ` (+${found.length - 10})` : ""}`,
      );
  };

  // Tasks: each succeeded, with exactly one task_succeeded, no run started twice, each result
  // projected into venture memory exactly once.
  report(
    "tasks that did not succeed",
    await rows(
      db,
      `SELECT t.id, t.key, t.status, t.attempt, left(t.last_error, 200) AS error FROM tasks t
        WHERE t.portfolio_id = $1 AND t.status <> 'succeeded'`,
      portfolioId,
    ),
  );
  report(
    "tasks not succeeded exactly once",
    await rows(
      db,
      `SELECT id, key, n FROM (
         SELECT t.id, t.key, (SELECT count(*)::int FROM event_log e WHERE e.stream_id = t.id AND e.type = 'orchestration.task_succeeded') AS n
           FROM tasks t WHERE t.portfolio_id = $1) x
        WHERE n <> 1`,
      portfolioId,
    ),
  );
  report(
    "runs started more than once",
    await rows(
      db,
      `SELECT envelope::jsonb->'payload'->>'runId' AS run, count(*)::int AS n FROM event_log
        WHERE type = 'orchestration.task_started' AND portfolio_id = $1 GROUP BY 1 HAVING count(*) > 1`,
      portfolioId,
    ),
  );
  report(
    "task results not in venture memory exactly once",
    await rows(
      db,
      `SELECT t.id, count(m.id)::int AS n FROM tasks t
         LEFT JOIN venture_memory m ON m.task_id = t.id AND m.kind = 'result'
        WHERE t.portfolio_id = $1 GROUP BY t.id HAVING count(m.id) <> 1`,
      portfolioId,
    ),
  );

  // Ledger: a hold is placed once and resolved (posted, voided, expired) at most once; an entry is
  // posted once; the money intents are exactly the requests made (retries made none of their own);
  // an intent is decided approved at most once and an allocation settled at most once.
  report(
    "holds placed more than once",
    await rows(
      db,
      `SELECT envelope::jsonb->'payload'->>'holdId' AS hold, count(*)::int AS n FROM event_log
        WHERE type = 'treasury.hold_placed' GROUP BY 1 HAVING count(*) > 1`,
    ),
  );
  report(
    "holds resolved more than once",
    await rows(
      db,
      `SELECT envelope::jsonb->'payload'->>'holdId' AS hold, count(*)::int AS n FROM event_log
        WHERE type IN ('treasury.hold_posted', 'treasury.hold_voided', 'treasury.hold_expired')
        GROUP BY 1 HAVING count(*) > 1`,
    ),
  );
  report(
    "entries posted more than once",
    await rows(
      db,
      `SELECT envelope::jsonb->'payload'->>'entryId' AS entry, count(*)::int AS n FROM event_log
        WHERE type = 'treasury.entry_posted' GROUP BY 1 HAVING count(*) > 1`,
    ),
  );
  report(
    "holds whose rows and events disagree",
    await rows(
      db,
      `WITH placed AS (
         SELECT envelope::jsonb->'payload'->>'holdId' AS hold, count(*) AS n FROM event_log
          WHERE type = 'treasury.hold_placed' GROUP BY 1
       ), resolved AS (
         SELECT envelope::jsonb->'payload'->>'holdId' AS hold, count(*) AS n FROM event_log
          WHERE type IN ('treasury.hold_posted', 'treasury.hold_voided', 'treasury.hold_expired') GROUP BY 1
       )
       SELECT h.id FROM ledger_holds h
         LEFT JOIN placed p ON p.hold = h.id
         LEFT JOIN resolved r ON r.hold = h.id
         LEFT JOIN ledger_hold_resolutions x ON x.hold_id = h.id
        WHERE coalesce(p.n, 0) <> 1 OR coalesce(r.n, 0) <> (CASE WHEN x.hold_id IS NULL THEN 0 ELSE 1 END)`,
    ),
  );
  const keys = await rows<{ idempotency_key: string }>(
    db,
    "SELECT idempotency_key FROM money_intents WHERE portfolio_id = $1",
    portfolioId,
  );
  const made = new Set(keys.map((k) => k.idempotency_key));
  report(
    "money intents requested but missing",
    [...portfolio.intentKeys].filter((k) => !made.has(k)),
  );
  report(
    "money intents nobody requested",
    [...made].filter((k) => !portfolio.intentKeys.has(k)),
  );
  report(
    "money intents decided or settled more than once",
    await rows(
      db,
      `SELECT stream_id, type, count(*)::int AS n FROM event_log
        WHERE portfolio_id = $1 AND (
              (type = 'treasury.intent_decided' AND envelope::jsonb->'payload'->>'status' = 'approved')
           OR type IN ('treasury.intent_created', 'treasury.allocation_settled', 'treasury.intent_settlement_submitted',
                        'treasury.intent_settled', 'treasury.intent_settlement_failed'))
        GROUP BY 1, 2 HAVING count(*) > 1`,
      portfolioId,
    ),
  );
  // Approved spends are paid through the rail (the orchestrator's treasury jobs), each once.
  report(
    "approved spends not settled",
    await rows(
      db,
      `SELECT i.id, i.status, p.status AS payout FROM money_intents i LEFT JOIN treasury_payouts p ON p.intent_id = i.id
        WHERE i.portfolio_id = $1 AND i.category NOT IN ('budget_allocation', 'budget_transfer')
          AND (i.status = 'approved' OR (i.status = 'settled') <> (p.status IS NOT DISTINCT FROM 'settled'))`,
      portfolioId,
    ),
  );
  const allocations = await rows<{
    intent_id: string;
    venture_id: string;
    amount_minor: bigint;
    settled: boolean;
  }>(
    db,
    "SELECT intent_id, venture_id, amount_minor, settled_at IS NOT NULL AS settled FROM treasury_allocations WHERE portfolio_id = $1",
    portfolioId,
  );
  report(
    "allocations approved but not settled",
    [...portfolio.allocationsApproved.keys()].filter(
      (id) => !allocations.some((a) => a.intent_id === id && a.settled),
    ),
  );
  // Each venture's budget received its seed funding and its settled allocations, nothing more.
  for (const ventureId of portfolio.ventureIds) {
    const [budget] = await rows<{ debits: bigint; seed: bigint }>(
      db,
      `SELECT a.debits_posted AS debits,
              (SELECT coalesce(sum(p.amount_minor), 0) FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id
                WHERE p.account_id = a.id AND p.amount_minor > 0 AND e.id LIKE 'fund:%')::bigint AS seed
         FROM ledger_accounts a WHERE a.id = $1`,
      `${ventureId}:budget:USD`,
    );
    const allocated = allocations
      .filter((a) => a.venture_id === ventureId && a.settled)
      .reduce((sum, a) => sum + a.amount_minor, 0n);
    if (!budget || budget.debits !== budget.seed + allocated) {
      problems.push(
        `venture ${ventureId}: budget debits ${budget?.debits} <> seed ${budget?.seed} + settled allocations ${allocated}`,
      );
    }
  }
  // What the ledger posted to model expenses is exactly what the settled calls cost.
  report(
    "ventures whose model expenses differ from their settled calls",
    await rows(
      db,
      `SELECT v.id, a.debits_posted AS posted,
              (SELECT coalesce(sum(c.cost_minor), 0) FROM agent_model_calls c WHERE c.venture_id = v.id AND c.status NOT IN ('held', 'refused'))::bigint AS settled
         FROM ventures v LEFT JOIN ledger_accounts a ON a.id = v.id || ':expense:models:USD'
        WHERE v.portfolio_id = $1
          AND coalesce(a.debits_posted, 0) <> (SELECT coalesce(sum(c.cost_minor), 0) FROM agent_model_calls c
                                               WHERE c.venture_id = v.id AND c.status NOT IN ('held', 'refused'))`,
      portfolioId,
    ),
  );

  // The ledger's own invariants: balances equal their postings and open holds, every entry balances,
  // floors hold, and every currency's trial balance is zero.
  const ledger = await verifyLedger(db);
  if (!ledger.ok) problems.push(`verifyLedger: ${JSON.stringify(ledger)}`);
  try {
    const trial = await trialBalance(db);
    for (const c of trial.currencies) {
      if (c.netPostedMinor !== 0n || c.debitsPendingMinor !== c.creditsPendingMinor)
        problems.push(`trial balance ${c.currency}: net ${c.netPostedMinor}`);
    }
  } catch (error) {
    problems.push(`trial balance: ${String(error)}`);
  }

  // The event chain verifies, over every event written.
  const events = await count(db, "SELECT count(*)::int AS n FROM event_log");
  const chain = await verifyEventLog(db);
  if (!chain.ok) problems.push(`event chain: ${chain.message}`);
  else if (chain.checkedEvents !== events)
    problems.push(`event chain checked ${chain.checkedEvents} of ${events} events`);

  const [figures] = await rows<Omit<Integrity["figures"], "retriesByCause">>(
    db,
    `SELECT (SELECT count(*) FROM tasks WHERE portfolio_id = $1)::int AS tasks,
            $2::int AS events,
            (SELECT count(*) FROM agent_model_calls WHERE portfolio_id = $1)::int AS "modelCalls",
            (SELECT count(*) FROM ledger_holds WHERE portfolio_id = $1)::int AS holds,
            (SELECT count(*) FROM money_intents WHERE portfolio_id = $1)::int AS intents,
            (SELECT count(*) FROM treasury_allocations WHERE portfolio_id = $1 AND settled_at IS NOT NULL)::int AS "allocationsSettled",
            (SELECT count(*) FROM event_log WHERE portfolio_id = $1
               AND type IN ('orchestration.task_attempt_failed', 'orchestration.task_run_aborted'))::int AS "taskRetries",
            (SELECT count(*) FROM agent_model_calls WHERE portfolio_id = $1 AND status = 'held')::int AS "holdsLeftToExpire"`,
    portfolioId,
    events,
  );
  const causes = await rows<{ cause: string; n: number }>(
    db,
    `SELECT CASE WHEN type = 'orchestration.task_run_aborted' THEN 'aborted'
                 ELSE envelope::jsonb->'payload'->>'cause' END AS cause, count(*)::int AS n
       FROM event_log WHERE portfolio_id = $1
        AND type IN ('orchestration.task_attempt_failed', 'orchestration.task_run_aborted')
      GROUP BY 1 ORDER BY 2 DESC`,
    portfolioId,
  );
  const retriesByCause = Object.fromEntries(causes.map((c) => [c.cause, c.n]));
  return { problems, figures: { ...figures!, retriesByCause } };
}
