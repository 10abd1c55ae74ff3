// The demo portfolio's history, planned in memory and pure (no database, no ids, no clock but the
// `now` it is given): which ventures exist from which day, how their stages move, what their agents
// did each day (tasks, attempts, metered model calls with their cost), which customers paid them,
// and the deposits and budget allocations that fund it all. seed-history.ts then writes the plan
// through the command path, day by day, each event with the clock of its own day.
//
// The plan is deterministic for a given scale, day and seed (a small PRNG), so tests can reason
// about it and two runs tell the same story. Money is bigint minor units (USD cents).
import { costOf, type ProviderName, priceOf } from "@/server/contexts/agents/api";
import type { VentureStage } from "@/server/contexts/orchestration/venture";
import { AppError } from "@/server/shared/errors";

/** How big the demo is: ventures (at most the six profiles), days of history, events aimed at. */
export type DemoScale = { ventures: number; days: number; events: number };

export const fullDemoScale: DemoScale = { ventures: 6, days: 90, events: 100_000 };

export const demoPortfolioName = "Acme Ventures (demo)";

const dayMs = 86_400_000;
/**
 * Agents work in four shifts a day (UTC); everything of one shift is recorded at its start (plus a
 * few minutes for retries and payments). Few, large batches keep the seed fast: one append per
 * actor and shift rather than one per task.
 */
const shiftStartsMs = [9, 11.5, 14, 16.5].map((h) => h * 3_600_000);
/** The last event of a shift is at most this long after its start. */
export const shiftSpanMs = 10 * 60_000;
/** A week's work per venture is one workstream, submitted on its first working day. */
export const daysPerWeek = 7;

export type PlannedCall = {
  provider: ProviderName;
  model: string;
  inputTokens: number;
  outputTokens: number;
  costMinor: bigint;
  durationMs: number;
};

/** One attempt of a task: its model calls, then success or a failure with its error. */
export type PlannedAttempt = {
  calls: PlannedCall[];
  failure: { cause: "error" | "timeout"; error: string } | null;
};

export type PlannedTask = {
  key: string;
  title: string;
  role: string;
  dependsOn: string[];
  /** Index into the day's slots: when the task ran. */
  slot: number;
  attempts: PlannedAttempt[];
  /** succeeded after its attempts, or escalated to the founder once they are exhausted. */
  outcome: "succeeded" | "escalated";
  summary: string;
};

export type PlannedSale = { slot: number; amountMinor: bigint };

export type VentureDay = {
  tasks: PlannedTask[];
  sales: PlannedSale[];
  /** A budget allocation from the treasury, first thing that day (0 when none). */
  allocationMinor: bigint;
  /** Stage changes that day, in order. */
  stages: VentureStage[];
};

export type PlannedVenture = {
  key: string;
  name: string;
  goal: string;
  fortune: string;
  startDay: number;
  /** One entry per day of history; days before startDay are empty. */
  days: VentureDay[];
};

export type PlannedDeposit = { day: number; amountMinor: bigint; source: string };

export type DemoPlan = {
  scale: DemoScale;
  /** UTC midnight of each day of history, oldest first; the last is today. */
  dayStarts: Date[];
  /** The times of each day's work slots (today's stop before `now`). */
  slots: Date[][];
  deposits: PlannedDeposit[];
  ventures: PlannedVenture[];
  /** Exactly the events seed-history.ts appends for this plan (checked after writing). */
  expectedEvents: number;
};

type TaskIdea = { role: string; title: string; summary: string };

type Profile = {
  key: string;
  name: string;
  goal: string;
  fortune: string;
  /** Where in the history (0 = first day, 1 = today) the venture starts. */
  startAt: number;
  stages: Array<{ at: number; to: VentureStage }>;
  /** Relative volume of agent work at x (0..1 over the history). */
  activity: (x: number) => number;
  /** Expected revenue per day at x, in cents. */
  revenuePerDayMinor: (x: number) => number;
  pricesMinor: number[];
  models: Array<{ provider: ProviderName; model: string }>;
  inputTokens: [number, number];
  outputTokens: [number, number];
  /** Days of budget left at the end (a venture burning its budget); null: funded comfortably. */
  runwayDays: number | null;
  /** Tasks escalated to the founder in the last days of the history. */
  escalations: number;
  ideas: TaskIdea[];
};

const ramp = (x: number, from: number, to: number) => Math.min(1, Math.max(0, (x - from) / (to - from)));

const profiles: readonly Profile[] = [
  {
    key: "solar-kits",
    name: "Solar Kits for Schools",
    goal: "Sell build-your-own solar kits to school science departments",
    fortune: "growing fast",
    startAt: 0,
    stages: [
      { at: 0.04, to: "validating" },
      { at: 0.14, to: "building" },
      { at: 0.33, to: "launched" },
      { at: 0.7, to: "scaling" },
    ],
    activity: (x) => 0.8 + 0.9 * x,
    revenuePerDayMinor: (x) => (x < 0.33 ? 0 : 9_000 * Math.exp(3.4 * ((x - 0.33) / 0.67))),
    pricesMinor: [14_900, 14_900, 24_900, 4_900],
    models: [
      { provider: "anthropic", model: "claude-opus-4-1" },
      { provider: "anthropic", model: "claude-sonnet-4-5" },
    ],
    inputTokens: [30_000, 140_000],
    outputTokens: [1_500, 6_000],
    runwayDays: null,
    escalations: 0,
    ideas: [
      {
        role: "researcher",
        title: "Survey school procurement rules in a new district",
        summary: "Listed the purchasing thresholds and approved-vendor steps for three districts.",
      },
      {
        role: "copywriter",
        title: "Write a lesson-plan insert for the kit",
        summary: "Drafted a 45-minute lesson plan with learning goals and a worksheet.",
      },
      {
        role: "growth_marketer",
        title: "Plan this week's teacher newsletter campaign",
        summary: "Picked two segments, wrote the subject lines and set a 4% click goal.",
      },
      {
        role: "engineer",
        title: "Fix the bulk-order checkout for purchase orders",
        summary: "Purchase-order checkout now accepts a PO number and net-30 terms.",
      },
      {
        role: "finance_analyst",
        title: "Review kit margins after the supplier price change",
        summary: "Gross margin holds at 58% on the standard kit; the deluxe kit drops to 51%.",
      },
      {
        role: "designer",
        title: "Design the classroom poster for the deluxe kit",
        summary: "A3 poster layout with the circuit diagram and three safety notes.",
      },
    ],
  },
  {
    key: "robot-tutors",
    name: "Robot Tutors",
    goal: "Build an AI maths tutor robot for primary schools",
    fortune: "burning budget, no revenue yet",
    startAt: 0,
    stages: [
      { at: 0.08, to: "validating" },
      { at: 0.3, to: "building" },
    ],
    activity: (x) => 1.1 + 0.4 * x,
    revenuePerDayMinor: () => 0,
    pricesMinor: [],
    models: [{ provider: "anthropic", model: "claude-opus-4-1" }],
    inputTokens: [60_000, 180_000],
    outputTokens: [3_000, 9_000],
    runwayDays: 9,
    escalations: 2,
    ideas: [
      {
        role: "engineer",
        title: "Prototype speech recognition for children's voices",
        summary: "Word error rate 18% on the test set; background noise is the main problem.",
      },
      {
        role: "researcher",
        title: "Interview teachers about tutoring time",
        summary: "Teachers want 10-minute sessions and a progress report per pupil.",
      },
      {
        role: "engineer",
        title: "Tune the tutor's hint strategy",
        summary: "Hints now escalate in three steps; pupils solved 12% more problems unaided.",
      },
      {
        role: "designer",
        title: "Sketch the robot's face expressions",
        summary: "Six expressions mapped to tutoring states, with a calm default.",
      },
      {
        role: "finance_analyst",
        title: "Estimate the bill of materials at 1,000 units",
        summary: "BOM comes to 214.00 per unit; the motors are 40% of it.",
      },
    ],
  },
  {
    key: "paper-planners",
    name: "Paper Planner Co",
    goal: "Sell undated paper planners online with a monthly refill subscription",
    fortune: "steady and profitable",
    startAt: 0,
    stages: [
      { at: 0, to: "validating" },
      { at: 0.02, to: "building" },
      { at: 0.05, to: "launched" },
    ],
    activity: () => 0.7,
    revenuePerDayMinor: (x) => (x < 0.05 ? 0 : 55_000),
    pricesMinor: [2_900, 2_900, 2_900, 1_200, 4_500],
    models: [
      { provider: "openai", model: "gpt-4.1" },
      { provider: "anthropic", model: "claude-sonnet-4-5" },
    ],
    inputTokens: [40_000, 160_000],
    outputTokens: [1_000, 4_000],
    runwayDays: null,
    escalations: 0,
    ideas: [
      {
        role: "copywriter",
        title: "Write product copy for the autumn refill",
        summary: "Three variants of the refill description, the shortest tested best last month.",
      },
      {
        role: "growth_marketer",
        title: "Schedule this week's social posts",
        summary: "Seven posts scheduled; the planner flat-lay photo gets the paid boost.",
      },
      {
        role: "finance_analyst",
        title: "Reconcile last week's orders and refunds",
        summary: "Orders and payouts match; two refunds for damaged parcels.",
      },
      {
        role: "researcher",
        title: "Check competitor planner prices",
        summary: "Competitors moved to 32.00; we stay at 29.00 with free refills for subscribers.",
      },
    ],
  },
  {
    key: "herb-box",
    name: "Fresh Herb Box",
    goal: "Deliver weekly boxes of fresh herbs to restaurants",
    fortune: "early: validating demand",
    startAt: 0.45,
    stages: [{ at: 0.55, to: "validating" }],
    activity: (x) => 0.5 + 0.3 * ramp(x, 0.45, 1),
    revenuePerDayMinor: () => 0,
    pricesMinor: [],
    models: [{ provider: "anthropic", model: "claude-sonnet-4-5" }],
    inputTokens: [20_000, 80_000],
    outputTokens: [1_000, 4_000],
    runwayDays: null,
    escalations: 0,
    ideas: [
      {
        role: "researcher",
        title: "Call list: restaurants within 10 km",
        summary: "Found 42 restaurants; 11 buy herbs weekly from wholesalers.",
      },
      {
        role: "finance_analyst",
        title: "Price a weekly box for a 40-seat restaurant",
        summary: "A 35.00 box covers costs at 60 boxes a week.",
      },
      {
        role: "copywriter",
        title: "Write the pitch email to head chefs",
        summary: "Short email with the box contents and a free first delivery.",
      },
    ],
  },
  {
    key: "pet-portraits",
    name: "Pet Portraits",
    goal: "Sell illustrated pet portraits made to order",
    fortune: "past its peak: revenue falling",
    startAt: 0,
    stages: [
      { at: 0.03, to: "validating" },
      { at: 0.08, to: "building" },
      { at: 0.15, to: "launched" },
    ],
    activity: (x) => 0.9 - 0.3 * x,
    revenuePerDayMinor: (x) =>
      x < 0.15 ? 0 : x < 0.4 ? 90_000 * ramp(x, 0.15, 0.4) : 90_000 - 75_000 * ramp(x, 0.4, 1),
    pricesMinor: [6_000, 6_000, 8_500],
    models: [{ provider: "anthropic", model: "claude-opus-4-1" }],
    inputTokens: [25_000, 100_000],
    outputTokens: [1_500, 5_000],
    runwayDays: null,
    escalations: 1,
    ideas: [
      {
        role: "designer",
        title: "Draft the portrait brief for today's orders",
        summary: "Briefs for the queued orders, with the owners' reference photos attached.",
      },
      {
        role: "growth_marketer",
        title: "Test a new ad audience: dog owners 25-40",
        summary: "Cost per order rose to 21.00; the audience is tiring.",
      },
      {
        role: "copywriter",
        title: "Write the gift-card landing page",
        summary: "Landing page copy for gift cards ahead of the holidays.",
      },
      {
        role: "researcher",
        title: "Find out why repeat orders fell",
        summary: "Most customers want one portrait; repeat rate is 4%.",
      },
    ],
  },
  {
    key: "focus-app",
    name: "Quiet Focus App",
    goal: "A focus timer app with ambient soundscapes for remote workers",
    fortune: "new idea, just started",
    startAt: 0.88,
    stages: [],
    activity: () => 0.6,
    revenuePerDayMinor: () => 0,
    pricesMinor: [],
    models: [{ provider: "anthropic", model: "claude-haiku-4-5" }],
    inputTokens: [15_000, 60_000],
    outputTokens: [800, 3_000],
    runwayDays: null,
    escalations: 0,
    ideas: [
      {
        role: "researcher",
        title: "Compare the top five focus apps",
        summary: "All five charge 4-8 a month; none offer team rooms.",
      },
      {
        role: "designer",
        title: "Sketch the timer's main screen",
        summary: "One large timer, a soundscape picker and a streak counter.",
      },
    ],
  },
];

export const demoVentureNames: readonly string[] = profiles.map((p) => p.name);

/** mulberry32: small, fast and good enough for a demo's noise. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The week (0-based, from the first day of history) a day belongs to. */
export const weekOf = (day: number) => Math.floor(day / daysPerWeek);
const between = (rand: () => number, [min, max]: [number, number]) =>
  Math.floor(min + rand() * (max - min + 1));
const pick = <T>(rand: () => number, items: readonly T[]) => items[Math.floor(rand() * items.length)]!;
/** n with probability frac(n), else floor(n): unbiased rounding of a rate. */
const roundRandom = (rand: () => number, n: number) => Math.floor(n) + (rand() < n - Math.floor(n) ? 1 : 0);
const roundUpTo = (value: bigint, step: bigint) => ((value + step - 1n) / step) * step;

/** Events seed-history.ts appends per task, per attempt and per call (see there). */
export const eventsPer = {
  /** task_created, then task_succeeded or task_escalated. */
  task: 2,
  /** task_dispatched, task_started, and task_attempt_failed when it failed. */
  attempt: 2,
  failedAttempt: 1,
  /** agents.model_call_completed and the treasury.entry_posted of its cost. */
  call: 2,
  /** treasury.entry_posted and treasury.revenue_received. */
  sale: 2,
  /** workstream_submitted and (when every task succeeded) workstream_completed, per venture-week. */
  workstream: 2,
  /** The treasury's entry and the venture's entry, each with its entry_posted. */
  allocation: 2,
  /** treasury.entry_posted and treasury.deposit_recorded. */
  deposit: 2,
  /** venture_created, venture_provisioned and the venture book's accounts_opened. */
  venture: 3,
  /** portfolio_created and the treasury book's accounts_opened (the default policies add theirs). */
  portfolio: 2,
};

function slotsOf(dayStart: Date, now: Date): Date[] {
  return (
    shiftStartsMs
      .map((offset) => new Date(dayStart.getTime() + offset))
      // Today's work stops before now: nothing in a shift is dated in the future.
      .filter((at) => at.getTime() + shiftSpanMs <= now.getTime())
  );
}

/**
 * Plans `scale.days` days of history ending today (the UTC day of `now`) for the first
 * `scale.ventures` profiles, with about `scale.events` events in all.
 */
export function planDemo(options: { scale: DemoScale; now: Date; seed?: number }): DemoPlan {
  const { scale, now } = options;
  const fields: Record<string, string> = {};
  if (!Number.isInteger(scale.ventures) || scale.ventures < 1 || scale.ventures > profiles.length) {
    fields.ventures = `1 to ${profiles.length}`;
  }
  if (!Number.isInteger(scale.days) || scale.days < 2 || scale.days > 366) fields.days = "2 to 366";
  if (!Number.isInteger(scale.events) || scale.events < 100 || scale.events > 10_000_000) {
    fields.events = "100 to 10,000,000";
  }
  if (Object.keys(fields).length > 0) {
    const summary = Object.entries(fields)
      .map(([field, why]) => `${field} must be ${why}`)
      .join("; ");
    throw new AppError("BAD_REQUEST", `Invalid demo scale: ${summary}`, { fields });
  }
  const rand = prng(options.seed ?? 20261129);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const dayStarts = Array.from(
    { length: scale.days },
    (_, d) => new Date(today - (scale.days - 1 - d) * dayMs),
  );
  const slots = dayStarts.map((start) => slotsOf(start, now));
  const last = scale.days - 1;
  const xOf = (day: number) => day / last;
  const dayOf = (x: number) => Math.round(x * last);
  const chosen = profiles.slice(0, scale.ventures);

  // Sales and the fixed events first; the rest of the event budget goes to agent work.
  let fixedEvents = eventsPer.portfolio;
  const ventures: PlannedVenture[] = chosen.map((profile) => {
    const startDay = dayOf(profile.startAt);
    fixedEvents += eventsPer.venture + profile.stages.length;
    const days: VentureDay[] = dayStarts.map((_, day) => {
      const empty: VentureDay = { tasks: [], sales: [], allocationMinor: 0n, stages: [] };
      if (day < startDay) return empty;
      empty.stages = profile.stages.filter((s) => Math.max(dayOf(s.at), startDay) === day).map((s) => s.to);
      const daySlots = slots[day]!.length;
      if (daySlots === 0 || profile.pricesMinor.length === 0) return empty;
      const weekend = [0, 6].includes(dayStarts[day]!.getUTCDay()) ? 0.7 : 1;
      const expected = profile.revenuePerDayMinor(xOf(day)) * weekend * (0.85 + 0.3 * rand());
      const meanPrice = profile.pricesMinor.reduce((a, b) => a + b, 0) / profile.pricesMinor.length;
      const count = roundRandom(rand, expected / meanPrice);
      for (let i = 0; i < count; i++) {
        empty.sales.push({
          slot: Math.floor(rand() * daySlots),
          amountMinor: BigInt(pick(rand, profile.pricesMinor)),
        });
      }
      fixedEvents += count * eventsPer.sale;
      return empty;
    });
    return {
      key: profile.key,
      name: profile.name,
      goal: profile.goal,
      fortune: profile.fortune,
      startDay,
      days,
    };
  });

  // Agent work: tasks per venture-day in proportion to the profile's activity, scaled so that the
  // whole plan lands near scale.events. An average task is 2 + 2 + 2.5 * 2 = 9 events.
  const weights = chosen.map((profile, v) =>
    dayStarts.map((start, day) => {
      if (day < ventures[v]!.startDay || slots[day]!.length === 0) return 0;
      const weekend = [0, 6].includes(start.getUTCDay()) ? 0.6 : 1;
      // Today's work so far: in proportion to the slots already past.
      return profile.activity(xOf(day)) * weekend * (slots[day]!.length / shiftStartsMs.length);
    }),
  );
  const totalWeight = weights.flat().reduce((a, b) => a + b, 0);
  const activeWeeks = weights.flatMap((w) => [
    ...new Set(w.flatMap((x, day) => (x > 0 ? [weekOf(day)] : []))),
  ]).length;
  const perTask = eventsPer.task + eventsPer.attempt + 2.5 * eventsPer.call;
  const taskBudget = Math.max(0, scale.events - fixedEvents - activeWeeks * eventsPer.workstream);
  const tasksPerWeight = totalWeight > 0 ? taskBudget / perTask / totalWeight : 0;

  // Escalations wait in the founder's inbox from the last days with work (today may have none yet).
  const workingDays = dayStarts.flatMap((_, day) => (slots[day]!.length > 0 ? [day] : []));
  const lastWorkingDays = (n: number) => (n > 0 ? workingDays.slice(-n) : []);
  chosen.forEach((profile, v) => {
    const venture = ventures[v]!;
    weights[v]!.forEach((weight, day) => {
      const count = roundRandom(rand, weight * tasksPerWeight);
      const daySlots = slots[day]!.length;
      const escalateLast = lastWorkingDays(profile.escalations).includes(day);
      for (let i = 0; i < count; i++) {
        const idea = pick(rand, profile.ideas);
        const escalated = escalateLast && i === count - 1;
        const retried = !escalated && rand() < 0.04;
        const attemptCount = escalated ? 3 : retried ? 2 : 1;
        const attempts: PlannedAttempt[] = [];
        for (let a = 1; a <= attemptCount; a++) {
          const failed = a < attemptCount || escalated;
          const callCount = failed ? 1 : between(rand, [1, 4]);
          const calls = Array.from({ length: callCount }, () => plannedCall(rand, profile));
          attempts.push({
            calls,
            failure: failed
              ? rand() < 0.5
                ? { cause: "timeout", error: `the attempt timed out after ${300} s` }
                : { cause: "error", error: pick(rand, failureMessages) }
              : null,
          });
        }
        // Some work builds on the day's task before it (a small DAG each day); an escalated task
        // is always the day's last, so nothing waits on it.
        const dependsOn = i > 0 && rand() < 0.3 ? [`d${day}-t${i - 1}`] : [];
        venture.days[day]!.tasks.push({
          key: `d${day}-t${i}`,
          title: idea.title,
          role: idea.role,
          dependsOn,
          slot: 0,
          attempts,
          outcome: escalated ? "escalated" : "succeeded",
          summary: idea.summary,
        });
      }
      // Spread the day's tasks over its slots in order, so a task runs after the ones it needs.
      const tasks = venture.days[day]!.tasks;
      tasks.forEach((task, i) => {
        task.slot = Math.min(daySlots - 1, Math.floor(((i + rand()) * daySlots) / Math.max(tasks.length, 1)));
      });
    });
  });

  planAllocations(chosen, ventures, last);
  const deposits = planDeposits(ventures, last);

  let expectedEvents = fixedEvents + deposits.length * eventsPer.deposit;
  for (const venture of ventures) {
    for (let week = 0; week <= weekOf(last); week++) {
      const tasks = venture.days.slice(week * daysPerWeek, (week + 1) * daysPerWeek).flatMap((d) => d.tasks);
      if (tasks.length === 0) continue;
      expectedEvents += 1; // workstream_submitted
      if (tasks.every((t) => t.outcome === "succeeded")) expectedEvents += 1; // workstream_completed
    }
    for (const day of venture.days) {
      if (day.allocationMinor > 0n) expectedEvents += eventsPer.allocation;
      for (const task of day.tasks) {
        expectedEvents += eventsPer.task;
        for (const attempt of task.attempts) {
          expectedEvents += eventsPer.attempt + attempt.calls.length * eventsPer.call;
          if (attempt.failure) expectedEvents += eventsPer.failedAttempt;
        }
      }
    }
  }
  return { scale, dayStarts, slots, deposits, ventures, expectedEvents };
}

const failureMessages = [
  "tool web.search failed: the search provider answered 503",
  "the model's answer did not match the task's output schema",
  "tool notes.write failed: the note exceeded 64 KiB",
];

function plannedCall(rand: () => number, profile: Profile): PlannedCall {
  const { provider, model } = pick(rand, profile.models);
  const inputTokens = between(rand, profile.inputTokens);
  const outputTokens = between(rand, profile.outputTokens);
  const costMinor = costOf(priceOf(provider, model), { inputTokens, outputTokens });
  return {
    provider,
    model,
    inputTokens,
    outputTokens,
    costMinor,
    durationMs: Math.round(2_000 + outputTokens * (8 + rand() * 6)),
  };
}

/** What the venture's agents spent on `day`, in minor units. */
export function spendOf(day: VentureDay): bigint {
  let total = 0n;
  for (const task of day.tasks)
    for (const attempt of task.attempts) for (const call of attempt.calls) total += call.costMinor;
  return total;
}

/**
 * Budget allocations: one at the venture's start and one every 30 days, each covering the coming
 * window's spend with a margin, so the budget never runs dry in the history. A venture with a
 * runway target gets only enough for that many more days at its recent burn at the last one.
 */
function planAllocations(chosen: readonly Profile[], ventures: PlannedVenture[], last: number): void {
  const step = 10_000n; // whole hundreds of dollars
  chosen.forEach((profile, v) => {
    const venture = ventures[v]!;
    const windows: number[] = [];
    for (let day = venture.startDay; day <= last; day += 30) windows.push(day);
    let left = 0n;
    windows.forEach((from, w) => {
      const to = Math.min(from + 30, last + 1);
      let spend = 0n;
      for (let day = from; day < to; day++) spend += spendOf(venture.days[day]!);
      const isLast = w === windows.length - 1;
      let amount: bigint;
      if (isLast && profile.runwayDays !== null) {
        let recent = 0n;
        for (let day = Math.max(venture.startDay, last - 13); day <= last; day++)
          recent += spendOf(venture.days[day]!);
        const daily = recent / BigInt(Math.min(14, last - venture.startDay + 1));
        amount = spend - left + daily * BigInt(profile.runwayDays);
      } else {
        amount = (spend * 13n) / 10n - left + 50_000n;
      }
      amount = roundUpTo(amount > 0n ? amount : step, step);
      venture.days[from]!.allocationMinor = amount;
      left += amount - spend;
    });
  });
}

/** What the treasury keeps for live runs (each allocates 5,000.00): room for ten of them. */
const liveReserveMinor = 5_000_000n;

/**
 * Deposits into the treasury: a seed round on the first day covering the first half's allocations
 * with room to spare, plus what live demo runs will need, and a second round half-way covering the
 * rest.
 */
function planDeposits(ventures: PlannedVenture[], last: number): PlannedDeposit[] {
  const half = Math.round(last * 0.55);
  let first = 0n;
  let second = 0n;
  for (const venture of ventures) {
    venture.days.forEach((day, index) => {
      if (index < half) first += day.allocationMinor;
      else second += day.allocationMinor;
    });
  }
  const round = 1_000_000n; // whole ten-thousands of dollars
  return [
    // The live run's budget is allocated from the seed round, as soon as the portfolio exists.
    { day: 0, amountMinor: roundUpTo((first * 3n) / 2n + liveReserveMinor, round), source: "Seed round" },
    { day: half, amountMinor: roundUpTo((second * 3n) / 2n + 1n, round), source: "Series A" },
  ];
}
