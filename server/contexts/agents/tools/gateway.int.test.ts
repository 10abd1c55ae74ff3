// The tool gateway against the real database and Cedar policy (AGENT-002, AGENT-003): the role ×
// tool matrix, forged / tampered / widened / expired / unknown-key tokens, policy and kill-switch
// denials, approvals bound to exact arguments, and a denial event for every refusal.
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pause, resume } from "@/server/contexts/control/api";
import { runDispatchPass } from "@/server/contexts/orchestration/dispatch-pass";
import { pauseVenture } from "@/server/contexts/orchestration/pause-venture";
import { startTaskRun } from "@/server/contexts/orchestration/start-task-run";
import { submitWorkstream } from "@/server/contexts/orchestration/submit-workstream";
import {
  portfolioWithPolicies,
  readyVenture,
  systemActor,
} from "@/server/contexts/orchestration/testing/fixtures";
import { ledgerBudgetReader } from "@/server/contexts/orchestration/venture-budget";
import { defaultPolicyText } from "@/server/contexts/policy/defaults";
import { publishPolicyVersion } from "@/server/contexts/policy/publish-policy-version";
import { fixedClock } from "@/server/shared/clock";
import { withTransaction } from "@/server/shared/db";
import { openTestServices, type TestServices } from "@/test/services";
import { decideToolApproval } from "../decide-tool-approval";
import { WorkloadKeyring, workloadAudience, workloadIssuer } from "../identity/workload-token";
import { issueWorkloadToken } from "../issue-workload-token";
import { ledgerMeter } from "../metering/meter";
import { agentRoles, type RoleName } from "../roles";
import { defaultPrograms, Supervisor } from "../supervisor/supervisor";
import { callTool, type GatewayDeps } from "./gateway";

let s: TestServices;
let portfolioId: string;
let ventureId: string;
let deps: GatewayDeps;
const keyring = new WorkloadKeyring("test");
const founder = { type: "user" as const, id: "usr_founder" };
/** One pending task per role (the venture is paused, so nothing runs them). */
const taskOf = {} as Record<RoleName, string>;

const validArgs: Record<string, Record<string, unknown>> = {
  "memory.search": { query: "pricing" },
  "notes.write": { title: "A note", body: "Remember this" },
  "artifact.draft": { kind: "document", title: "Draft", body: "Text" },
  "web.search": { query: "solar kits" },
  "email.send": { to: "buyer@example.com", subject: "Hello", body: "Our kits" },
  "ads.launch_campaign": { channel: "search", audience: "schools", dailyBudgetMinor: "1000" },
  "sandbox.run": { program: "sh", script: "echo hi" },
};

/** The role × tool matrix, written out: what each role may call (AGENT-001). */
const expectedAllowed: Record<RoleName, string[]> = {
  planner: ["memory.search"],
  researcher: ["memory.search", "web.search", "notes.write"],
  copywriter: ["memory.search", "notes.write", "artifact.draft"],
  designer: ["memory.search", "artifact.draft"],
  growth_marketer: ["memory.search", "web.search", "notes.write", "email.send", "ads.launch_campaign"],
  finance_analyst: ["memory.search", "notes.write"],
  engineer: ["memory.search", "notes.write", "sandbox.run"],
  worker: ["sandbox.run"],
};

beforeAll(async () => {
  s = await openTestServices();
  portfolioId = await portfolioWithPolicies(s.db);
  ventureId = await readyVenture(s.db, portfolioId);
  await pauseVenture({ db: s.db, actor: founder, correlationId: "cor_gw", ventureId });
  const roles = Object.keys(agentRoles) as RoleName[];
  const submitted = await submitWorkstream({
    db: s.db,
    actor: founder,
    correlationId: "cor_gw",
    ventureId,
    title: "Gateway",
    tasks: roles.map((role) => ({ key: role.replaceAll("_", "-"), title: role, role })),
  });
  for (const role of roles) taskOf[role] = submitted.taskIds[role.replaceAll("_", "-")]!;
  deps = {
    db: s.db,
    meter: ledgerMeter,
    supervisor: new Supervisor({ programs: await defaultPrograms() }),
    approvalTtlMs: 60_000,
  };
}, 60_000);

afterAll(async () => {
  await s?.close();
});

async function externalToken(role: RoleName, tools?: string[]): Promise<string> {
  return (
    await issueWorkloadToken({
      db: s.db,
      keyring,
      actor: founder,
      correlationId: "cor_gw",
      ventureId,
      taskId: taskOf[role],
      tools,
    })
  ).token;
}

async function deniedEvents(reason?: string): Promise<number> {
  const rows = await s.db.$queryRawUnsafe<Array<{ envelope: string }>>(
    "SELECT envelope FROM event_log WHERE type = 'agents.tool_call_denied'",
  );
  return rows.filter(
    (r) => !reason || (JSON.parse(r.envelope) as { payload: { reason: string } }).payload.reason === reason,
  ).length;
}

describe("role × tool matrix", () => {
  it("allows exactly the role's tools and denies the rest as events", async () => {
    const before = await deniedEvents("role_allowlist");
    let denied = 0;
    const roles = Object.keys(agentRoles) as RoleName[];
    for (const role of roles) {
      const token = await externalToken(role);
      for (const tool of Object.keys(validArgs)) {
        const result = await callTool(deps, { token, tool, args: validArgs[tool], via: "runtime" });
        const allowed = expectedAllowed[role].includes(tool);
        if (allowed) {
          const approval = tool === "email.send" || tool === "ads.launch_campaign";
          expect(`${role} ${tool}: ${result.outcome}`).toBe(
            `${role} ${tool}: ${approval ? "needs_approval" : "completed"}`,
          );
        } else {
          denied++;
          expect(
            `${role} ${tool}: ${result.outcome} ${result.outcome === "denied" ? result.reason : ""}`,
          ).toBe(`${role} ${tool}: denied role_allowlist`);
        }
      }
    }
    expect(await deniedEvents("role_allowlist")).toBe(before + denied);
  }, 60_000);

  it("narrows to the task's scope: a tool of the role outside the token's tools is denied", async () => {
    const token = await externalToken("researcher", ["memory.search"]);
    const result = await callTool(deps, {
      token,
      tool: "web.search",
      args: validArgs["web.search"],
      via: "runtime",
    });
    expect(result).toMatchObject({ outcome: "denied", reason: "task_scope" });
  });

  it("refuses invalid arguments naming the field", async () => {
    const token = await externalToken("researcher");
    const result = await callTool(deps, {
      token,
      tool: "memory.search",
      args: { query: "" },
      via: "runtime",
    });
    expect(result).toMatchObject({ outcome: "denied", reason: "invalid_arguments" });
    expect(result.outcome === "denied" && result.message).toMatch(/query/);
  });
});

describe("workload tokens", () => {
  const claimsFor = (role: RoleName, tools: string[]) => ({
    venture: ventureId,
    portfolio: portfolioId,
    task: taskOf[role],
    run: "ext_forged",
    role,
    level: agentRoles[role].level,
    tools,
    spendCeilingMinor: "1000",
    currency: "USD",
    issuedTo: "external" as const,
  });

  it("refuses a token signed by another key under a known key id", async () => {
    const good = await externalToken("researcher");
    const kid = JSON.parse(Buffer.from(good.split(".")[0]!, "base64url").toString()).kid as string;
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const forged = await new SignJWT(claimsFor("researcher", ["web.search"]))
      .setProtectedHeader({ alg: "EdDSA", kid })
      .setIssuer(workloadIssuer)
      .setAudience(workloadAudience)
      .setSubject("ext_forged")
      .setJti("wlt_forged")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    const result = await callTool(deps, {
      token: forged,
      tool: "web.search",
      args: validArgs["web.search"],
      via: "mcp",
    });
    expect(result).toMatchObject({ outcome: "denied", reason: "token" });
    expect(result.outcome === "denied" && result.message).toMatch(/signature/);
  });

  it("refuses a token whose claims were widened after signing", async () => {
    const good = await externalToken("copywriter");
    const [header, payload, signature] = good.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as { tools: string[] };
    claims.tools.push("email.send");
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
    const result = await callTool(deps, {
      token: tampered,
      tool: "notes.write",
      args: validArgs["notes.write"],
      via: "mcp",
    });
    expect(result).toMatchObject({ outcome: "denied", reason: "token" });
  });

  it("refuses a validly signed token that grants more than the task", async () => {
    const { token } = await keyring.issue(s.db, claimsFor("copywriter", ["notes.write", "email.send"]), {
      ttlMs: 60_000,
      now: new Date(),
    });
    const result = await callTool(deps, {
      token,
      tool: "notes.write",
      args: validArgs["notes.write"],
      via: "mcp",
    });
    expect(result).toMatchObject({ outcome: "denied", reason: "token" });
    expect(result.outcome === "denied" && result.message).toMatch(/beyond the task's scope/);
    const { token: richer } = await keyring.issue(
      s.db,
      { ...claimsFor("copywriter", ["notes.write"]), spendCeilingMinor: "999999" },
      { ttlMs: 60_000, now: new Date() },
    );
    expect(
      await callTool(deps, {
        token: richer,
        tool: "notes.write",
        args: validArgs["notes.write"],
        via: "mcp",
      }),
    ).toMatchObject({
      outcome: "denied",
      reason: "token",
    });
  });

  it("refuses an expired token and one whose key is unknown", async () => {
    const issued = await issueWorkloadToken({
      db: s.db,
      keyring,
      actor: founder,
      correlationId: "cor_gw",
      ventureId,
      taskId: taskOf.researcher,
      ttlMinutes: 1,
    });
    const later = fixedClock(new Date(issued.expiresAt.getTime() + 1_000));
    const expired = await callTool(
      { ...deps, clock: later },
      { token: issued.token, tool: "memory.search", args: validArgs["memory.search"], via: "mcp" },
    );
    expect(expired).toMatchObject({ outcome: "denied", reason: "token" });
    expect(expired.outcome === "denied" && expired.message).toMatch(/expired/);

    const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    void (await exportJWK(publicKey));
    const stranger = await new SignJWT(claimsFor("researcher", ["memory.search"]))
      .setProtectedHeader({ alg: "EdDSA", kid: "wk_unknown" })
      .setIssuer(workloadIssuer)
      .setAudience(workloadAudience)
      .setSubject("ext_forged")
      .setJti("wlt_x")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    expect(
      await callTool(deps, {
        token: stranger,
        tool: "memory.search",
        args: validArgs["memory.search"],
        via: "mcp",
      }),
    ).toMatchObject({
      outcome: "denied",
      reason: "token",
    });
    expect(
      await callTool(deps, { token: "not.a.jwt", tool: "memory.search", args: {}, via: "mcp" }),
    ).toMatchObject({ outcome: "denied", reason: "token" });
  });

  it("refuses a runtime token once its run is no longer current", async () => {
    const runVenture = await readyVenture(s.db, portfolioId);
    const submitted = await submitWorkstream({
      db: s.db,
      actor: founder,
      correlationId: "cor_gw_run",
      ventureId: runVenture,
      title: "Run",
      tasks: [{ key: "r", title: "R", role: "researcher" }],
    });
    await runDispatchPass({ db: s.db, budgets: ledgerBudgetReader, globalConcurrency: 100 });
    const [row] = await s.db.$queryRawUnsafe<Array<{ run_id: string }>>(
      "SELECT run_id FROM tasks WHERE id = $1",
      submitted.taskIds.r,
    );
    const started = await withTransaction(s.db, (tx) =>
      startTaskRun(
        tx,
        { actor: systemActor, correlationId: "cor_gw_run" },
        {
          taskId: submitted.taskIds.r!,
          runId: row!.run_id,
          worker: "test",
          leaseMs: 60_000,
          now: new Date(),
        },
      ),
    );
    expect(started.kind).toBe("started");
    const { token } = await keyring.issue(
      s.db,
      {
        venture: runVenture,
        portfolio: portfolioId,
        task: submitted.taskIds.r!,
        run: row!.run_id,
        role: "researcher",
        level: "L2",
        tools: agentRoles.researcher.tools as unknown as string[],
        spendCeilingMinor: "1000",
        currency: "USD",
        issuedTo: "runtime",
      },
      { ttlMs: 60_000, now: new Date() },
    );
    expect(
      (
        await callTool(deps, {
          token,
          tool: "memory.search",
          args: validArgs["memory.search"],
          via: "runtime",
        })
      ).outcome,
    ).toBe("completed");
    await s.db.$executeRawUnsafe("UPDATE tasks SET run_id = 'run_other' WHERE id = $1", submitted.taskIds.r);
    expect(
      await callTool(deps, {
        token,
        tool: "memory.search",
        args: validArgs["memory.search"],
        via: "runtime",
      }),
    ).toMatchObject({
      outcome: "denied",
      reason: "stale_run",
    });
  });
});

describe("policy and kill-switch", () => {
  it("denies what the Cedar policy forbids, with the deciding policy recorded", async () => {
    const before = await deniedEvents("policy");
    await publishPolicyVersion({
      db: s.db,
      actor: founder,
      correlationId: "cor_gw_policy",
      role: "admin",
      portfolioId,
      scope: "tools",
      text: `${defaultPolicyText("tools")}
@id("tools.no-web-search")
@reason("Web search is switched off in this portfolio")
forbid (principal is Agent, action == Action::"call_tool", resource == Tool::"web.search");
`,
    });
    const result = await callTool(deps, {
      token: await externalToken("researcher"),
      tool: "web.search",
      args: validArgs["web.search"],
      via: "runtime",
    });
    expect(result).toMatchObject({ outcome: "denied", reason: "policy" });
    expect(result.outcome === "denied" && result.decision?.determiningPolicies).toEqual([
      "tools.no-web-search",
    ]);
    expect(await deniedEvents("policy")).toBe(before + 1);
  });

  it("denies every tool call while the kill-switch is engaged (SPEC invariant 6)", async () => {
    const control = {
      db: s.db,
      actor: founder,
      actorName: "Founder",
      correlationId: "cor_gw_pause",
      reason: "testing the switch",
      fanout: null,
    };
    await pause(control);
    try {
      const result = await callTool(deps, {
        token: await externalToken("researcher"),
        tool: "memory.search",
        args: validArgs["memory.search"],
        via: "runtime",
      });
      expect(result).toMatchObject({ outcome: "denied", reason: "policy" });
      expect(result.outcome === "denied" && result.decision?.determiningPolicies).toContain(
        "guardrail.kill-switch",
      );
    } finally {
      await resume({ ...control, reason: "done testing" });
    }
  });
});

describe("approvals bound to the exact arguments", () => {
  it("waits for a person, runs once approved, and asks again for other arguments", async () => {
    const token = await externalToken("growth_marketer");
    const args = { to: "lead@example.com", subject: "Pilot", body: "Would you try our kit?" };
    const first = await callTool(deps, { token, tool: "email.send", args, via: "runtime" });
    expect(first.outcome).toBe("needs_approval");
    const approvalId = first.outcome === "needs_approval" ? first.approvalId : "";
    // Still waiting: the same request gets the same approval.
    expect(await callTool(deps, { token, tool: "email.send", args, via: "runtime" })).toMatchObject({
      outcome: "needs_approval",
      approvalId,
    });
    await decideToolApproval({
      db: s.db,
      actor: founder,
      correlationId: "cor_gw_apr",
      ventureId,
      approvalId,
      decision: "approved",
    });
    expect((await callTool(deps, { token, tool: "email.send", args, via: "runtime" })).outcome).toBe(
      "completed",
    );
    // One changed character is another call: it needs its own approval.
    const other = await callTool(deps, {
      token,
      tool: "email.send",
      args: { ...args, body: `${args.body}!` },
      via: "runtime",
    });
    expect(other.outcome).toBe("needs_approval");
    expect(other.outcome === "needs_approval" && other.approvalId).not.toBe(approvalId);
    // Denied stays denied.
    const otherId = other.outcome === "needs_approval" ? other.approvalId : "";
    await decideToolApproval({
      db: s.db,
      actor: founder,
      correlationId: "cor_gw_apr",
      ventureId,
      approvalId: otherId,
      decision: "denied",
      note: "no",
    });
    expect(
      await callTool(deps, {
        token,
        tool: "email.send",
        args: { ...args, body: `${args.body}!` },
        via: "runtime",
      }),
    ).toMatchObject({
      outcome: "denied",
      reason: "approval_denied",
    });
    await expect(
      decideToolApproval({
        db: s.db,
        actor: founder,
        correlationId: "cor_gw_apr",
        ventureId,
        approvalId: otherId,
        decision: "approved",
      }),
    ).rejects.toThrowError(/already denied/);
  });

  it("refuses a call whose approval expired", async () => {
    const token = await externalToken("growth_marketer");
    const args = { channel: "social", audience: "teachers", dailyBudgetMinor: "500" };
    const shortLived = { ...deps, approvalTtlMs: 1 };
    const first = await callTool(shortLived, { token, tool: "ads.launch_campaign", args, via: "runtime" });
    expect(first.outcome).toBe("needs_approval");
    await new Promise((r) => setTimeout(r, 20));
    expect(await callTool(deps, { token, tool: "ads.launch_campaign", args, via: "runtime" })).toMatchObject({
      outcome: "denied",
      reason: "approval_expired",
    });
  });
});
