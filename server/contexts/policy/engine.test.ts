import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PolicyScope } from "@/server/shared/events/catalog/policy";
import { policyDecisionRecordSchema } from "@/server/shared/events/catalog/policy";
import {
  decideMoneyIntent,
  decidePublish,
  decideToolCall,
  type MoneyIntentRequest,
  type PolicyPrincipal,
} from "./decisions";
import { defaultPolicyText } from "./defaults";
import {
  type CedarEntity,
  type CompiledPolicySet,
  compilePolicySet,
  type DecisionRequest,
  decide,
  decideActions,
  decideWithEveryPolicy,
  emptyPolicySet,
  planCosts,
  toCedarLong,
} from "./engine";

function compiled(scope: PolicyScope, text: string): CompiledPolicySet {
  const result = compilePolicySet(scope, text);
  if (!result.ok) throw new Error(`test policy does not compile: ${JSON.stringify(result.problems)}`);
  return result.policySet;
}

/** Runs `body` with every pruned and combined set built at its first use, so each call exercises them. */
function withSetsBuiltAtOnce(body: () => void): void {
  const saved = { ...planCosts };
  planCosts.preparseMicrosPerPolicy = 0;
  try {
    body();
  } finally {
    Object.assign(planCosts, saved);
  }
}

const treasury = compiled("treasury", defaultPolicyText("treasury"));
const tools = compiled("tools", defaultPolicyText("tools"));
const publishing = compiled("publishing", defaultPolicyText("publishing"));

const agent = {
  kind: "agent",
  agentId: "agt_1",
  ventureId: "ven_1",
  portfolioId: "pf_1",
  role: "researcher",
  level: "L2",
} as const satisfies PolicyPrincipal;
const founder = { kind: "user", userId: "usr_1", portfolioId: "pf_1", portfolioRole: "founder" } as const;

function intent(
  overrides: Partial<MoneyIntentRequest["intent"]> = {},
  rest: Partial<MoneyIntentRequest> = {},
) {
  return {
    policy: treasury,
    requester: agent,
    intent: {
      intentId: "int_1",
      portfolioId: "pf_1",
      ventureId: "ven_1",
      amountMinor: 1_000n,
      currency: "USD",
      category: "saas",
      counterpartyId: "cp_vercel",
      ...overrides,
    },
    counterpartyAllowlist: ["cp_vercel", "cp_anthropic"],
    frozen: false,
    paused: false,
    ...rest,
  } satisfies MoneyIntentRequest;
}

const spendRequest = (policy: CompiledPolicySet, amountMinor = 100) => ({
  policy,
  principal: { type: "User", id: "usr_1" },
  action: "spend" as const,
  resource: { type: "Venture", id: "ven_1" },
  context: {
    intentId: "int_1",
    amountMinor,
    currency: "USD",
    category: "saas",
    counterpartyId: "cp",
    counterpartyAllowlist: ["cp"],
    frozen: false,
    paused: false,
  },
  entities: [{ uid: { type: "User", id: "usr_1" }, attrs: { portfolioRole: "founder" }, parents: [] }],
});

describe("default deny and forbid-wins", () => {
  it("denies everything when there are no policies, naming no policy", () => {
    const empty = compiled("treasury", "");
    const decision = decide(spendRequest(empty));
    expect(decision).toMatchObject({ decision: "deny", determiningPolicies: [], errors: [] });
    expect(decision.reasons[0]).toMatch(/default deny/);
    expect(decideMoneyIntent(intent({}, { policy: emptyPolicySet("treasury") }))).toMatchObject({
      outcome: "deny",
      policyVersion: "none",
    });
  });

  it("lets a forbid win over a permit, and names the forbid", () => {
    const policy = compiled(
      "treasury",
      `@id("test.allow-all") permit (principal, action, resource);
       @id("test.no-big") @reason("too big") forbid (principal, action, resource) when { context.amountMinor > 10 };`,
    );
    expect(decide(spendRequest(policy, 5))).toMatchObject({
      decision: "allow",
      determiningPolicies: ["test.allow-all"],
    });
    expect(decide(spendRequest(policy, 11))).toMatchObject({
      decision: "deny",
      determiningPolicies: ["test.no-big"],
      reasons: ["too big"],
    });
  });

  it("applies a forbid on action in spend to all three spend actions (action hierarchy)", () => {
    const policy = compiled(
      "treasury",
      `@id("test.allow") permit (principal, action, resource);
       @id("test.stop") forbid (principal, action in Action::"spend", resource) when { context.category == "ads" };`,
    );
    expect(decideMoneyIntent(intent({ category: "ads" }, { policy }))).toMatchObject({
      outcome: "deny",
      determiningPolicies: ["test.stop"],
    });
    expect(decideMoneyIntent(intent({ category: "saas" }, { policy })).outcome).toBe("approve");
  });

  it("decides several actions in one call exactly as one call each: shared copies and a condition on the action", () => {
    withSetsBuiltAtOnce(() => {
      // test.stop's condition does not read the action (one copy stands for all three actions);
      // test.big-needs-approval's does (a copy per action, and only spend_without_approval's holds).
      const policy = compiled(
        "treasury",
        `@id("test.allow") permit (principal, action in Action::"spend", resource);
         @id("test.stop") forbid (principal, action in Action::"spend", resource) when { context.category == "ads" };
         @id("test.big-needs-approval") forbid (principal, action in Action::"spend", resource)
           when { action == Action::"spend_without_approval" && context.amountMinor > 1000 };`,
      );
      const spend = ["spend", "spend_with_single_approval", "spend_without_approval"] as const;
      for (const [amount, category, expected] of [
        [500, "saas", ["allow", "allow", "allow"]],
        [5_000, "saas", ["allow", "allow", "deny"]],
        [5_000, "ads", ["deny", "deny", "deny"]],
      ] as const) {
        const request = {
          ...spendRequest(policy, amount),
          context: { ...spendRequest(policy, amount).context, category },
        };
        const combined = decideActions(request, spend);
        expect(combined.map((d) => d.decision)).toEqual(expected);
        expect(combined).toEqual(spend.map((action) => decide({ ...request, action })));
      }
    });
  });

  it("decides a request of a shape already checked as the schema-checked call does, action hierarchy included", () => {
    withSetsBuiltAtOnce(() => {
      // Without the schema, Cedar knows no action hierarchy unless the action entities are supplied:
      // `Action::"spend_without_approval" in Action::"spend_with_single_approval"` would be false.
      const policy = compiled(
        "treasury",
        `@id("test.allow") permit (principal, action in Action::"spend", resource);
         @id("test.large-needs-four-eyes") forbid (principal, action in Action::"spend", resource)
           when { action in Action::"spend_with_single_approval" && context.amountMinor > 1000 };`,
      );
      const spend = ["spend", "spend_with_single_approval", "spend_without_approval"] as const;
      // The first request of this shape is checked against the schema; the later ones are not.
      for (const amount of [10, 5_000, 10, 5_000]) {
        const request = spendRequest(policy, amount);
        const reference = spend.map((action) => decideWithEveryPolicy({ ...request, action }));
        expect(decideActions(request, spend)).toEqual(reference);
        expect(reference.map((d) => d.decision)).toEqual(
          amount > 1000 ? ["allow", "deny", "deny"] : ["allow", "allow", "allow"],
        );
      }
    });
  });

  it("still checks a request of a new shape against the schema after others were accepted, and denies it", () => {
    withSetsBuiltAtOnce(() => {
      const policy = compiled(
        "treasury",
        `@id("test.allow") permit (principal, action in Action::"spend", resource);
         @id("test.no-ads") forbid (principal, action in Action::"spend", resource) when { context.category == "ads" };`,
      );
      const spend = ["spend", "spend_with_single_approval", "spend_without_approval"] as const;
      const accepted = spendRequest(policy, 100);
      for (let i = 0; i < 3; i++) {
        expect(decideActions(accepted, spend).map((d) => d.decision)).toEqual(["allow", "allow", "allow"]);
      }
      // A number where the schema says String: unchecked, `context.category == "ads"` would simply
      // be false and the spend allowed.
      const mistyped = { ...accepted, context: { ...accepted.context, category: 7 } };
      const denied = decideActions(mistyped, spend);
      expect(denied.map((d) => d.decision)).toEqual(["deny", "deny", "deny"]);
      expect(denied[0]!.errors.join()).toMatch(/category/);
      // An attribute the schema does not declare, on an entity of an accepted type.
      const extra = {
        ...accepted,
        entities: [{ ...accepted.entities[0]!, attrs: { portfolioRole: "founder", superuser: true } }],
      };
      const refused = decideActions(extra, spend);
      expect(refused.map((d) => d.decision)).toEqual(["deny", "deny", "deny"]);
      expect(refused[0]!.errors.join()).toMatch(/superuser/);
    });
  });

  it("denies when a policy fails to evaluate, where Cedar alone would skip the forbid and allow", () => {
    // Multiplying a large amount overflows a 64-bit Long: an evaluation error in the forbid.
    const policy = compiled(
      "treasury",
      `@id("test.allow") permit (principal, action, resource);
       @id("test.overflowing") forbid (principal, action, resource) when { context.amountMinor * 1000000000000 < 0 };`,
    );
    const decision = decide(spendRequest(policy, 9_000_000_000));
    expect(decision.decision).toBe("deny");
    expect(decision.errors.join()).toMatch(/overflow/);
    expect(decision.reasons[0]).toMatch(/fail closed/);
  });

  it("denies when a policy reads an entity the caller did not supply", () => {
    const policy = compiled(
      "treasury",
      `@id("test.allow") permit (principal, action, resource);
       @id("test.role-tools") forbid (principal is Agent, action in Action::"spend", resource)
         when { principal.role.allowedTools.contains(Tool::"shell") };`,
    );
    const decision = decideMoneyIntent(intent({}, { policy }));
    expect(decision.outcome).toBe("deny");
    expect(decision.errors.length).toBeGreaterThan(0);
  });

  it("denies a request that does not match the schema instead of evaluating it", () => {
    const request = spendRequest(treasury);
    const { frozen: _frozen, ...withoutFrozen } = request.context;
    const decision = decide({ ...request, context: withoutFrozen });
    expect(decision.decision).toBe("deny");
    expect(decision.errors.join()).toMatch(/frozen/);
  });

  it("denies inexact numbers and actions of another scope", () => {
    expect(decide(spendRequest(treasury, 1.5)).errors.join()).toMatch(/not an integer/);
    expect(decide(spendRequest(treasury, 2 ** 60)).decision).toBe("deny");
    expect(decide({ ...spendRequest(tools), action: "spend" }).errors.join()).toMatch(
      /not decided by a tools/,
    );
  });

  it("compiles a text once per version hash", () => {
    const text = defaultPolicyText("treasury");
    expect(compilePolicySet("treasury", text)).toBe(compilePolicySet("treasury", text));
    expect(treasury.versionHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("money intents: approve / needs_approval / deny", () => {
  const outcomeAt = (amountMinor: bigint) => {
    const decision = decideMoneyIntent(intent({ amountMinor }));
    return [decision.outcome, decision.approvalsRequired];
  };

  it("approves up to and at the automatic approval threshold, and asks for approval just above it", () => {
    expect(outcomeAt(49_999n)).toEqual(["approve", 0]);
    expect(outcomeAt(50_000n)).toEqual(["approve", 0]);
    expect(outcomeAt(50_001n)).toEqual(["needs_approval", 1]);
    const decision = decideMoneyIntent(intent({ amountMinor: 50_001n }));
    expect(decision.determiningPolicies).toEqual(["treasury.approval-threshold"]);
    expect(decision.reasons[0]).toMatch(/automatic approval threshold of 50000/);
  });

  it("asks for two approvers just above the four-eyes threshold", () => {
    expect(outcomeAt(499_999n)).toEqual(["needs_approval", 1]);
    expect(outcomeAt(500_000n)).toEqual(["needs_approval", 1]);
    expect(outcomeAt(500_001n)).toEqual(["needs_approval", 2]);
    expect(decideMoneyIntent(intent({ amountMinor: 500_001n })).determiningPolicies).toContain(
      "treasury.four-eyes-threshold",
    );
  });

  it("denies just above the per-transaction limit", () => {
    expect(outcomeAt(999_999n)).toEqual(["needs_approval", 2]);
    expect(outcomeAt(1_000_000n)).toEqual(["needs_approval", 2]);
    expect(outcomeAt(1_000_001n)).toEqual(["deny", 0]);
    expect(decideMoneyIntent(intent({ amountMinor: 1_000_001n }))).toMatchObject({
      determiningPolicies: ["treasury.per-transaction-limit"],
      reasons: [expect.stringMatching(/per-transaction limit of 1000000/)],
    });
  });

  it("denies zero, negative and out-of-range amounts", () => {
    expect(outcomeAt(0n)).toEqual(["deny", 0]);
    expect(outcomeAt(-1n)).toEqual(["deny", 0]);
    const huge = decideMoneyIntent(intent({ amountMinor: 2n ** 63n }));
    expect(huge.outcome).toBe("deny");
    expect(huge.errors[0]).toMatch(/outside the exactly representable range/);
  });

  it("denies even one minor unit while frozen or paused, naming the guardrail", () => {
    const frozen = decideMoneyIntent(intent({ amountMinor: 1n }, { frozen: true }));
    expect(frozen).toMatchObject({ outcome: "deny", determiningPolicies: ["guardrail.treasury-frozen"] });
    const paused = decideMoneyIntent(intent({ amountMinor: 1n }, { paused: true }));
    expect(paused).toMatchObject({ outcome: "deny", determiningPolicies: ["guardrail.kill-switch"] });
  });

  it("keeps the guardrails in a published text that leaves them out", () => {
    const permissive = compiled(
      "treasury",
      `@id("test.anything-goes") permit (principal, action, resource);`,
    );
    expect(decideMoneyIntent(intent({}, { policy: permissive })).outcome).toBe("approve");
    expect(decideMoneyIntent(intent({}, { policy: permissive, frozen: true })).outcome).toBe("deny");
    expect(decideMoneyIntent(intent({}, { policy: permissive, paused: true })).outcome).toBe("deny");
  });

  it("denies a counterparty that is not on the venture's allowlist", () => {
    const decision = decideMoneyIntent(intent({ counterpartyId: "cp_unknown" }));
    expect(decision).toMatchObject({
      outcome: "deny",
      determiningPolicies: ["treasury.counterparty-allowlist"],
    });
    expect(decision.reasons).toEqual(["The counterparty is not on the venture's allowlist"]);
  });

  it("applies category rules: unknown categories denied, contractors and budget moves need approval", () => {
    expect(decideMoneyIntent(intent({ category: "casino" })).determiningPolicies).toEqual([
      "treasury.allowed-categories",
    ]);
    expect(decideMoneyIntent(intent({ category: "contractors", amountMinor: 100n }))).toMatchObject({
      outcome: "needs_approval",
      determiningPolicies: ["treasury.contractors-need-approval"],
    });
    const budgetMove = { category: "budget_transfer", counterpartyId: "ven_2", amountMinor: 2_000_000n };
    expect(decideMoneyIntent(intent(budgetMove, { requester: founder }))).toMatchObject({
      outcome: "needs_approval",
      approvalsRequired: 2,
    });
    expect(decideMoneyIntent(intent(budgetMove)).determiningPolicies).toContain(
      "treasury.agents-do-not-move-budgets",
    );
  });

  it("returns a record that validates against the event schema", () => {
    for (const amountMinor of [1n, 60_000n, 2_000_000n]) {
      expect(policyDecisionRecordSchema.safeParse(decideMoneyIntent(intent({ amountMinor }))).success).toBe(
        true,
      );
    }
  });

  const anyIntent = fc.record({
    amountMinor: fc.bigInt({ min: -10n, max: 20_000_000n }),
    currency: fc.constantFrom("USD", "EUR", "GBP", "JPY", "usd"),
    category: fc.constantFrom("saas", "compute", "advertising", "contractors", "budget_transfer", "casino"),
    counterpartyId: fc.constantFrom("cp_vercel", "cp_unknown", "ven_2"),
    requester: fc.constantFrom<PolicyPrincipal>(agent, founder),
    frozen: fc.boolean(),
    paused: fc.boolean(),
  });
  type IntentCase = typeof anyIntent extends fc.Arbitrary<infer T> ? T : never;
  const build = (c: IntentCase, amountMinor = c.amountMinor) =>
    intent(
      { amountMinor, currency: c.currency, category: c.category, counterpartyId: c.counterpartyId },
      { requester: c.requester, frozen: c.frozen, paused: c.paused },
    );

  it("never approves, or even asks for approval, while frozen or paused (property)", () => {
    fc.assert(
      fc.property(anyIntent, (c) => {
        fc.pre(c.frozen || c.paused);
        return decideMoneyIntent(build(c)).outcome === "deny";
      }),
      { numRuns: 300 },
    );
  });

  it("is monotone in the amount: a larger amount is never decided more leniently (property)", () => {
    // approve < needs_approval (1) < needs_approval (2) < deny
    const severity = (d: ReturnType<typeof decideMoneyIntent>) =>
      d.outcome === "approve" ? 0 : d.outcome === "needs_approval" ? d.approvalsRequired : 3;
    fc.assert(
      fc.property(
        anyIntent,
        fc.bigInt({ min: 1n, max: 20_000_000n }),
        fc.bigInt({ min: 0n, max: 20_000_000n }),
        (c, x, delta) => {
          const smaller = decideMoneyIntent(build(c, x));
          const larger = decideMoneyIntent(build(c, x + delta));
          if (smaller.outcome === "needs_approval") expect(larger.outcome).not.toBe("approve");
          return severity(larger) >= severity(smaller);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("tool calls", () => {
  const call = (role: string, tool: string, allowed: Record<string, string[]>, scopeTools: string[]) =>
    decideToolCall({
      policy: tools,
      agent: { ...agent, role },
      roleAllowedTools: allowed[role] ?? [],
      tool,
      task: { taskId: "tsk_1", scopeTools },
      paused: false,
    });
  const registry = { researcher: ["web_search", "read_url"], copywriter: ["write_document"] };

  it("allows a tool in the role's allowlist and the task's scope, per role", () => {
    expect(call("researcher", "web_search", registry, ["web_search", "write_document"])).toMatchObject({
      outcome: "allow",
      determiningPolicies: ["tools.permit-allowlisted-in-scope"],
    });
    expect(call("copywriter", "write_document", registry, ["web_search", "write_document"]).outcome).toBe(
      "allow",
    );
  });

  it("denies a tool outside the role's allowlist, naming the rule", () => {
    expect(call("copywriter", "web_search", registry, ["web_search"])).toMatchObject({
      outcome: "deny",
      determiningPolicies: ["tools.role-allowlist"],
    });
    expect(call("unknown_role", "web_search", registry, ["web_search"]).outcome).toBe("deny");
  });

  it("denies a tool outside the task's scope even when the role allows it", () => {
    expect(call("researcher", "read_url", registry, ["web_search"])).toMatchObject({
      outcome: "deny",
      determiningPolicies: ["tools.task-scope"],
    });
  });

  it("denies every tool call while paused (property)", () => {
    fc.assert(
      fc.property(fc.constantFrom("web_search", "read_url", "write_document"), (tool) => {
        const decision = decideToolCall({
          policy: tools,
          agent,
          roleAllowedTools: ["web_search", "read_url", "write_document"],
          tool,
          task: { taskId: "tsk_1", scopeTools: [tool] },
          paused: true,
        });
        return decision.outcome === "deny" && decision.determiningPolicies.includes("guardrail.kill-switch");
      }),
      { numRuns: 20 },
    );
  });
});

describe("publishing", () => {
  const artifact = {
    artifactId: "art_1",
    portfolioId: "pf_1",
    ventureId: "ven_1",
    kind: "landing_page",
    claimKinds: ["pricing"],
    reviewStatus: "approved",
  };
  const publish = (
    overrides: Partial<typeof artifact>,
    publisher: PolicyPrincipal = founder,
    paused = false,
  ) => decidePublish({ policy: publishing, publisher, artifact: { ...artifact, ...overrides }, paused });

  it("allows an approved artifact without forbidden claims", () => {
    expect(publish({})).toMatchObject({
      outcome: "allow",
      determiningPolicies: ["publishing.permit-approved"],
    });
  });

  it("denies forbidden claim kinds, unreviewed artifacts, auditors and the paused state", () => {
    expect(publish({ claimKinds: ["pricing", "guaranteed_returns"] }).determiningPolicies).toEqual([
      "publishing.forbidden-claims",
    ]);
    expect(publish({ reviewStatus: "in_review" }).determiningPolicies).toEqual([
      "publishing.review-required",
    ]);
    expect(publish({}, { ...founder, portfolioRole: "auditor" }).determiningPolicies).toEqual([
      "publishing.auditors-read-only",
    ]);
    expect(publish({}, founder, true).determiningPolicies).toEqual(["guardrail.kill-switch"]);
  });
});

describe("compiling policy texts", () => {
  const problemsOf = (scope: PolicyScope, text: string) => {
    const result = compilePolicySet(scope, text);
    if (result.ok) throw new Error("expected problems");
    return result.problems;
  };

  it("reports a parse error with its line and column", () => {
    const text =
      '@id("a.ok")\npermit (principal, action, resource);\n\n@id("a.broken")\nforbid (principal, action, resource) when { context. };';
    const [problem] = problemsOf("treasury", text);
    expect(problem).toMatchObject({ severity: "error", line: 5, column: 54 });
    expect(problem!.message).toMatch(/unexpected token/);
  });

  it("counts columns in characters, not UTF-8 bytes", () => {
    const text =
      '@id("a.ok") @reason("déjà vu — ünïcode") forbid (principal, action, resource) when { context. };';
    // "}" is character 95 of the line; counted in UTF-8 bytes it would be 101.
    expect(problemsOf("treasury", text)[0]).toMatchObject({ line: 1, column: 95 });
  });

  it("reports schema validation errors at the offending expression, naming the policy", () => {
    const text =
      '@id("a.ok")\npermit (principal, action, resource);\n@id("a.typo")\nforbid (principal, action, resource)\n  when { context.amountMinr > 5 };';
    const problems = problemsOf("treasury", text);
    expect(problems[0]).toMatchObject({ policyId: "a.typo", line: 5, column: 10 });
    expect(problems[0]!.message).toMatch(/amountMinr/);
  });

  it("positions problems in texts of more than ten policies, and keeps ids in text order", () => {
    const lines = Array.from(
      { length: 12 },
      (_, i) => `@id("many.p${i}") permit (principal, action, resource) when { context.amountMinor > ${i} };`,
    );
    expect(compiled("treasury", lines.join("\n")).policyIds).toEqual(lines.map((_, i) => `many.p${i}`));
    lines[10] = '@id("many.p10") permit (principal, action, resource) when { context.amountMinr > 10 };';
    expect(problemsOf("treasury", lines.join("\n"))[0]).toMatchObject({ policyId: "many.p10", line: 11 });
    expect(treasury.policyIds[0]).toBe("treasury.permit-spend");
    expect(treasury.policyIds.at(-1)).toBe("treasury.contractors-need-approval");
  });

  it("refuses actions of another scope", () => {
    const problems = problemsOf(
      "treasury",
      '@id("a.x") permit (principal, action == Action::"call_tool", resource);',
    );
    expect(problems[0]!.message).toMatch(/unrecognized action/);
  });

  it("requires a unique, well-formed, unreserved @id on every policy", () => {
    const text = [
      "permit (principal, action, resource);",
      '@id("Not Good") permit (principal, action, resource);',
      '@id("guardrail.kill-switch") permit (principal, action, resource);',
      '@id("a.same") permit (principal, action, resource);',
      '@id("a.same") permit (principal, action, resource);',
    ].join("\n");
    const problems = problemsOf("treasury", text);
    expect(problems.map((p) => [p.line, p.message.slice(0, 30)])).toEqual([
      [1, "Every policy needs a stable, m"],
      [2, 'Policy id "Not Good" must be l'],
      [3, 'Policy id "guardrail.kill-swit'],
      [5, 'Policy id "a.same" is already '],
    ]);
  });

  it("refuses templates and oversized texts", () => {
    expect(
      problemsOf("tools", '@id("t.x") permit (principal == ?principal, action, resource);')[0]!.message,
    ).toMatch(/template/);
    expect(problemsOf("tools", "x".repeat(100_001))[0]!.message).toMatch(/at most 100000/);
  });

  it("compiles all three default policy sets without warnings", () => {
    for (const scope of ["treasury", "tools", "publishing"] as const) {
      const result = compilePolicySet(scope, defaultPolicyText(scope));
      expect(result.ok && result.warnings).toEqual([]);
    }
  });
});

describe("request plans (pruned sets, one call for three actions) decide exactly as every policy would", () => {
  // Random policy sets over a small world of principals, actions and resources, with conditions
  // that read the action, fail to evaluate (overflow, a missing entity) or depend on the request.
  const principals = [
    "principal",
    'principal == User::"usr_1"',
    'principal in Portfolio::"pf_1"',
    "principal is User",
    "principal is Agent",
    'principal is Agent in Venture::"ven_1"',
    'principal == Agent::"agt_1"',
  ];
  const actions = [
    "action",
    'action == Action::"spend"',
    'action == Action::"spend_with_single_approval"',
    'action == Action::"spend_without_approval"',
    'action in Action::"spend"',
    'action in Action::"spend_with_single_approval"',
    'action in [Action::"spend", Action::"spend_without_approval"]',
  ];
  const resources = [
    "resource",
    'resource == Venture::"ven_1"',
    'resource == Venture::"ven_2"',
    'resource in Portfolio::"pf_1"',
    'resource is Venture in Portfolio::"pf_2"',
  ];
  const conditions = [
    "true",
    "context.amountMinor > 50000",
    'context.category == "saas"',
    "context.counterpartyAllowlist.contains(context.counterpartyId)",
    'action == Action::"spend"',
    'action in Action::"spend_with_single_approval"',
    "context.amountMinor * 1000000000000 > 0",
    "context.frozen || context.paused",
    'resource in Portfolio::"pf_2"',
    'action == Action::"spend_without_approval" && context.amountMinor > 1000',
  ];
  const policyArb = fc.record({
    effect: fc.constantFrom("permit", "forbid"),
    principal: fc.nat({ max: principals.length - 1 }),
    action: fc.nat({ max: actions.length - 1 }),
    resource: fc.nat({ max: resources.length - 1 }),
    condition: fc.nat({ max: conditions.length }),
  });
  type GeneratedPolicy = typeof policyArb extends fc.Arbitrary<infer T> ? T : never;
  const textOf = (policies: GeneratedPolicy[]) =>
    policies
      .map((p, i) => {
        // The last condition reads the agent's Role entity, which money intents never supply.
        const agentOnly = p.condition === conditions.length;
        const principal = agentOnly ? "principal is Agent" : principals[p.principal]!;
        const condition = agentOnly
          ? 'principal.role.allowedTools.contains(Tool::"shell")'
          : conditions[p.condition]!;
        return `@id("gen.p${i}") ${p.effect} (${principal}, ${actions[p.action]}, ${resources[p.resource]}) when { ${condition} };`;
      })
      .join("\n");
  const requestArb = fc.record({
    agent: fc.boolean(),
    who: fc.constantFrom("1", "2"),
    portfolio: fc.constantFrom("pf_1", "pf_2"),
    venture: fc.constantFrom("ven_1", "ven_2", "ven_3"),
    amountMinor: fc.constantFrom(1, 1_000, 50_000, 50_001, 20_000_000, 2 ** 40),
    category: fc.constantFrom("saas", "ads"),
    allowed: fc.boolean(),
    frozen: fc.boolean(),
    paused: fc.boolean(),
  });
  type GeneratedRequest = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;
  const requestOf = (policy: CompiledPolicySet, r: GeneratedRequest) => {
    const portfolio = { type: "Portfolio", id: r.portfolio };
    const venture = { type: "Venture", id: r.venture };
    const entities: CedarEntity[] = [
      { uid: portfolio, attrs: {}, parents: [] },
      { uid: venture, attrs: {}, parents: [portfolio] },
    ];
    const principal = r.agent ? { type: "Agent", id: `agt_${r.who}` } : { type: "User", id: `usr_${r.who}` };
    entities.push(
      r.agent
        ? {
            uid: principal,
            attrs: { role: { __entity: { type: "Role", id: "researcher" } }, level: "L2" },
            parents: [venture],
          }
        : { uid: principal, attrs: { portfolioRole: "founder" }, parents: [portfolio] },
    );
    return {
      policy,
      principal,
      resource: venture,
      context: {
        intentId: "int_1",
        amountMinor: r.amountMinor,
        currency: "USD",
        category: r.category,
        counterpartyId: "cp_1",
        counterpartyAllowlist: r.allowed ? ["cp_1"] : ["cp_2"],
        frozen: r.frozen,
        paused: r.paused,
      },
      entities,
    } satisfies Omit<DecisionRequest, "action">;
  };
  const spendActions = ["spend", "spend_with_single_approval", "spend_without_approval"] as const;

  it("gives the same decision, reasons and errors as Cedar over the whole version (property)", () => {
    withSetsBuiltAtOnce(() => {
      fc.assert(
        fc.property(
          fc.array(policyArb, { minLength: 1, maxLength: 12 }),
          fc.array(requestArb, { minLength: 1, maxLength: 4 }),
          (policies, requests) => {
            const policy = compiled("treasury", textOf(policies));
            for (const r of requests) {
              const request = requestOf(policy, r);
              const reference = spendActions.map((action) => decideWithEveryPolicy({ ...request, action }));
              expect(spendActions.map((action) => decide({ ...request, action }))).toEqual(reference);
              expect(decideActions(request, spendActions)).toEqual(reference);
            }
          },
        ),
        { numRuns: Number(process.env.PROPERTY_RUNS ?? 15) },
      );
    });
  }, 120_000);
});

describe("toCedarLong", () => {
  it("converts exactly within ±(2^53 − 1) and refuses beyond", () => {
    expect(toCedarLong(9_007_199_254_740_991n, "x")).toBe(9_007_199_254_740_991);
    expect(toCedarLong(-9_007_199_254_740_991n, "x")).toBe(-9_007_199_254_740_991);
    expect(() => toCedarLong(9_007_199_254_740_992n, "amountMinor")).toThrow(/amountMinor/);
  });
});
