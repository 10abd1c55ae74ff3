// Policy decision latency with ~100 policies: pre-parsed once per version (what the engine does)
// against parsing the policy text and schema on every call (the baseline). No database: a
// decision is pure CPU once the active version is loaded. Beside each figure, the same decisions
// asked of Cedar with every policy of the version (decideWithEveryPolicy: no pruning, one call per
// action: the engine before ADR 0018), measured in the same run, alternating in rounds.
import os from "node:os";
import { type EntityJson, isAuthorized } from "@cedar-policy/cedar-wasm/nodejs";
import { decideMoneyIntent, type MoneyIntentRequest } from "@/server/contexts/policy/decisions";
import { defaultPolicyText } from "@/server/contexts/policy/defaults";
import {
  type CompiledPolicySet,
  compilePolicySet,
  type DecisionRequest,
  decide,
  decideWithEveryPolicy,
} from "@/server/contexts/policy/engine";
import { type Bench, type Metric, percentile, round } from "./lib";

const policyCount = 100;
const iterations = 5_000;
const warmup = 500;

/** The default treasury set plus generated per-venture, per-category and per-counterparty rules. */
function hundredPolicies(salt: string): string {
  const base = defaultPolicyText("treasury");
  const baseCount = (base.match(/@id\(/g) ?? []).length;
  const extra: string[] = [`// ${salt}`];
  for (let i = 0; extra.length - 1 < policyCount - baseCount; i++) {
    const kind = i % 3;
    if (kind === 0) {
      extra.push(`@id("bench.venture-${i}-cap")
@reason("Venture ${i} has a lower per-transaction cap")
forbid (principal, action in Action::"spend", resource == Venture::"ven_${i}")
when { context.amountMinor > ${10_000 + i * 100} };`);
    } else if (kind === 1) {
      extra.push(`@id("bench.category-${i}-approval")
@reason("Category c${i} always needs approval")
forbid (principal, action == Action::"spend_without_approval", resource)
when { context.category == "c${i}" && context.amountMinor > ${i} };`);
    } else {
      extra.push(`@id("bench.counterparty-${i}-blocked")
@reason("Counterparty cp_blocked_${i} is blocked")
forbid (principal, action in Action::"spend", resource)
when { context.counterpartyId == "cp_blocked_${i}" || (context.currency == "GBP" && context.amountMinor > ${900_000 + i}) };`);
    }
  }
  return `${base}\n${extra.join("\n\n")}\n`;
}

function compileOrThrow(text: string): CompiledPolicySet {
  const result = compilePolicySet("treasury", text);
  if (!result.ok) throw new Error(`bench policy does not compile: ${JSON.stringify(result.problems)}`);
  return result.policySet;
}

function timeEach(count: number, fn: (i: number) => void): number[] {
  for (let i = 0; i < warmup; i++) fn(i);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    fn(i);
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b);
}

function latency(samples: number[], note: string, baseline?: number[]): Metric {
  const p99 = percentile(samples, 99);
  const metric: Metric = {
    value: round(p99, 4),
    unit: "ms",
    p50: round(percentile(samples, 50), 4),
    p99: round(p99, 4),
    note,
  };
  if (baseline) {
    const baselineP99 = percentile(baseline, 99);
    metric.baseline = round(baselineP99, 4);
    metric.ratio = round(baselineP99 / p99, 1);
  }
  return metric;
}

async function run() {
  const text = hundredPolicies("bench");
  const policy = compileOrThrow(text);
  if (policy.policyIds.length !== policyCount) throw new Error(`expected ${policyCount} policies`);

  const request = (i: number): DecisionRequest => ({
    policy,
    principal: { type: "User", id: "usr_1" },
    action: "spend_without_approval",
    resource: { type: "Venture", id: `ven_${i % 50}` },
    context: {
      intentId: `int_${i}`,
      amountMinor: 1_000 + (i % 90_000),
      currency: "USD",
      category: "saas",
      counterpartyId: "cp_1",
      counterpartyAllowlist: ["cp_1", "cp_2"],
      frozen: false,
      paused: false,
    },
    entities: [
      {
        uid: { type: "User", id: "usr_1" },
        attrs: { portfolioRole: "founder" },
        parents: [{ type: "Portfolio", id: "pf_1" }],
      },
      {
        uid: { type: "Venture", id: `ven_${i % 50}` },
        attrs: {},
        parents: [{ type: "Portfolio", id: "pf_1" }],
      },
      { uid: { type: "Portfolio", id: "pf_1" }, attrs: {}, parents: [] },
    ],
  });

  // Alternating rounds of the engine's decide() and the reference over every policy, so the
  // machine's load falls on both alike.
  const rounds = 5;
  const preparsed: number[] = [];
  const everyPolicy: number[] = [];
  for (let round = 0; round < rounds; round++) {
    preparsed.push(
      ...timeEach(iterations / rounds, (i) => {
        decide(request(i));
      }),
    );
    everyPolicy.push(
      ...timeEach(iterations / rounds, (i) => {
        decideWithEveryPolicy(request(i));
      }),
    );
  }
  preparsed.sort((a, b) => a - b);
  everyPolicy.sort((a, b) => a - b);

  // Baseline: the same request, parsing the 100-policy text on every call. This is the cheapest
  // way to re-parse (one text, no schema; with the schema it costs several times more), so the
  // ratio below understates what pre-parsing saves.
  const reparsed = timeEach(Math.floor(iterations / 5), (i) => {
    const r = request(i);
    const answer = isAuthorized({
      principal: r.principal,
      action: { type: "Action", id: r.action },
      resource: r.resource,
      context: r.context as Record<string, never>,
      entities: r.entities as EntityJson[],
      policies: { staticPolicies: text },
    });
    if (answer.type !== "success") throw new Error(JSON.stringify(answer.errors));
  });

  const moneyRequest = (i: number): MoneyIntentRequest => ({
    policy,
    requester: { kind: "user", userId: "usr_1", portfolioId: "pf_1", portfolioRole: "founder" },
    intent: {
      intentId: `int_${i}`,
      portfolioId: "pf_1",
      ventureId: `ven_${i % 50}`,
      amountMinor: BigInt(1_000 + (i % 900_000)),
      currency: "USD",
      category: "saas",
      counterpartyId: "cp_1",
    },
    counterpartyAllowlist: ["cp_1"],
    frozen: false,
    paused: false,
  });
  const money: number[] = [];
  const moneyEveryPolicy: number[] = [];
  const spendActions = ["spend", "spend_with_single_approval", "spend_without_approval"] as const;
  for (let round = 0; round < rounds; round++) {
    money.push(
      ...timeEach(iterations / rounds, (i) => {
        decideMoneyIntent(moneyRequest(i));
      }),
    );
    // The three decisions the engine made before: one Cedar call per action, every policy.
    moneyEveryPolicy.push(
      ...timeEach(iterations / rounds, (i) => {
        const r = request(i);
        for (const action of spendActions) decideWithEveryPolicy({ ...r, action });
      }),
    );
  }
  money.sort((a, b) => a - b);
  moneyEveryPolicy.sort((a, b) => a - b);

  // Compilation (parse, validate, pre-parse) of a new version: once per version per process.
  const compiles = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    compileOrThrow(hundredPolicies(`compile ${i} ${Date.now()}`));
    compiles.push(performance.now() - started);
  }
  compiles.sort((a, b) => a - b);

  return {
    "policy.decide_100_policies": latency(
      preparsed,
      `one Cedar decision, ${policyCount} policies pre-parsed once per version hash and pruned to those whose scope can match (ADR 0018), request validated against the schema; baseline = p99 re-parsing the policy text per call (no schema); load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join("/")}`,
      reparsed,
    ),
    "policy.decide_every_policy_100_policies": latency(
      everyPolicy,
      "the same decision asked of Cedar with all 100 policies (no pruning: the engine before ADR 0018), alternating rounds with decide() in the same run",
    ),
    "policy.decide_reparse_per_call_100_policies": latency(
      reparsed,
      "baseline: the same decision parsing the 100-policy text on every call (no schema validation)",
    ),
    "policy.money_intent_100_policies": latency(
      money,
      "decideMoneyIntent: spend, single approval and no approval decided in one Cedar call over per-action copies of the policies, pruned to the request's scope (ADR 0018); baseline = p99 of three calls with every policy (the engine before), alternating rounds in the same run",
      moneyEveryPolicy,
    ),
    "policy.compile_100_policies": {
      value: round(percentile(compiles, 50), 2),
      unit: "ms",
      p50: round(percentile(compiles, 50), 2),
      p99: round(percentile(compiles, 99), 2),
      note: "parse, split by @id, strict validation and pre-parse of a new 100-policy version (once per version per process)",
    },
  };
}

export default { name: "policy", run } satisfies Bench;
