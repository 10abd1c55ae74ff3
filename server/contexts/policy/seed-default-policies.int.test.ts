import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPortfolio } from "@/server/contexts/orchestration/create-portfolio";
import type { EventActor } from "@/server/shared/events/envelope";
import { readEvents, sealEvents } from "@/server/shared/events/store";
import { openTestServices, type TestServices } from "@/test/services";
import { checkMoneyIntent, checkPublish, checkToolCall } from "./api";
import { defaultPolicyText } from "./defaults";
import { listPolicyVersions } from "./list-policy-versions";
import { publishPolicyVersion } from "./publish-policy-version";
import { seedDefaultPolicies } from "./seed-default-policies";

let s: TestServices;
const system: EventActor = { type: "system", id: "seed" };

beforeAll(async () => {
  s = await openTestServices();
});
afterAll(async () => {
  await s.close();
});

async function newPortfolio(name: string): Promise<string> {
  const { portfolioId } = await createPortfolio({
    db: s.db,
    actor: system,
    correlationId: "cor_setup",
    name,
    defaultPolicies: false,
  });
  return portfolioId;
}

const seed = (portfolioId: string, correlationId = "cor_seed") =>
  seedDefaultPolicies({ db: s.db, actor: system, correlationId, portfolioId });

describe("seeding the default policies", () => {
  it("installs treasury, tools and publishing as version 1, once", async () => {
    const portfolioId = await newPortfolio("seeded");
    expect(await seed(portfolioId, "cor_seed_1")).toEqual({ installed: ["treasury", "tools", "publishing"] });
    expect(await seed(portfolioId, "cor_seed_2")).toEqual({ installed: [] });

    const versions = await listPolicyVersions({ db: s.db, portfolioId });
    expect(versions.map((v) => [v.scope, v.number, v.active])).toEqual([
      ["publishing", 1, true],
      ["tools", 1, true],
      ["treasury", 1, true],
    ]);
    expect(versions.find((v) => v.scope === "tools")?.text).toBe(defaultPolicyText("tools"));
    await sealEvents(s.db);
    expect((await readEvents(s.db, { correlationId: "cor_seed_1" })).map((e) => e.type)).toEqual([
      "policy.version_published",
      "policy.version_published",
      "policy.version_published",
    ]);
    await sealEvents(s.db);
    expect(await readEvents(s.db, { correlationId: "cor_seed_2" })).toEqual([]);
  });

  it("seeds concurrently without duplicating a version", async () => {
    const portfolioId = await newPortfolio("raced");
    const results = await Promise.all([seed(portfolioId), seed(portfolioId), seed(portfolioId)]);
    expect(results.flatMap((r) => r.installed).sort()).toEqual(["publishing", "tools", "treasury"]);
    expect(await s.db.policyVersion.count({ where: { portfolioId } })).toBe(3);
  });

  it("leaves a scope an admin has already published alone", async () => {
    const portfolioId = await newPortfolio("custom");
    const custom = '@id("tools.nothing") forbid (principal, action, resource);';
    await publishPolicyVersion({
      db: s.db,
      actor: { type: "user", id: "usr_admin" },
      correlationId: "cor_custom",
      role: "admin",
      portfolioId,
      scope: "tools",
      text: custom,
    });
    expect(await seed(portfolioId)).toEqual({ installed: ["treasury", "publishing"] });
    const tools = await listPolicyVersions({ db: s.db, portfolioId, scope: "tools" });
    expect(tools.map((v) => [v.number, v.text])).toEqual([[1, custom]]);
  });

  it("decides money intents, tool calls and publishing with the seeded defaults", async () => {
    const portfolioId = await newPortfolio("decisions");
    await seed(portfolioId);
    const agent = {
      kind: "agent",
      agentId: "agt_1",
      ventureId: "ven_1",
      portfolioId,
      role: "researcher",
      level: "L2",
    } as const;
    const money = await checkMoneyIntent({
      db: s.db,
      requester: agent,
      intent: {
        intentId: "int_1",
        portfolioId,
        ventureId: "ven_1",
        amountMinor: 2_500n,
        currency: "USD",
        category: "model_inference",
        counterpartyId: "cp_anthropic",
      },
      counterpartyAllowlist: ["cp_anthropic"],
      frozen: false,
      paused: false,
    });
    expect(money).toMatchObject({ outcome: "approve", determiningPolicies: ["treasury.permit-spend"] });

    const tool = await checkToolCall({
      db: s.db,
      agent,
      roleAllowedTools: ["web_search"],
      tool: "send_email",
      task: { taskId: "tsk_1", scopeTools: ["web_search", "send_email"] },
      paused: false,
    });
    expect(tool).toMatchObject({ outcome: "deny", determiningPolicies: ["tools.role-allowlist"] });

    const published = await checkPublish({
      db: s.db,
      publisher: agent,
      artifact: {
        artifactId: "art_1",
        portfolioId,
        ventureId: "ven_1",
        kind: "landing_page",
        claimKinds: [],
        reviewStatus: "approved",
      },
      paused: true,
    });
    expect(published).toMatchObject({ outcome: "deny", determiningPolicies: ["guardrail.kill-switch"] });
  });
});
