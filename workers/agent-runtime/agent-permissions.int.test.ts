// Agents scripted to misbehave, through the whole pipeline: a forbidden tool call and an
// overspending model call are both refused, and both refusals are events (AGENT-002, AGENT-004).
// A "needs approval" tool waits for a person, bound to the exact arguments.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decideToolApproval } from "@/server/contexts/agents/decide-tool-approval";
import { listToolApprovals } from "@/server/contexts/agents/list-tool-approvals";
import { getTask } from "@/server/contexts/orchestration/get-task";
import { submitWorkstream } from "@/server/contexts/orchestration/submit-workstream";
import {
  eventually,
  portfolioWithPolicies,
  readyVenture,
} from "@/server/contexts/orchestration/testing/fixtures";
import { openTestServices, type TestServices } from "@/test/services";
import { type Stack, startStack } from "../orchestrator/testing";

let s: TestServices;
let stack: Stack;
let portfolioId: string;
const founder = { type: "user" as const, id: "usr_founder" };

beforeAll(async () => {
  s = await openTestServices();
  stack = await startStack(s, { agents: { approvalWaitMs: 15_000, approvalPollMs: 100 } });
  portfolioId = await portfolioWithPolicies(s.db);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await s?.close();
});

async function eventsOf(type: string, taskId: string): Promise<Array<{ payload: Record<string, unknown> }>> {
  const rows = await s.db.$queryRawUnsafe<Array<{ envelope: string }>>(
    "SELECT envelope FROM event_log WHERE type = $1 ORDER BY position",
    type,
  );
  return rows
    .map((r) => JSON.parse(r.envelope) as { payload: Record<string, unknown> })
    .filter((e) => e.payload.taskId === taskId);
}

async function status(taskId: string): Promise<string> {
  const [row] = await s.db.$queryRawUnsafe<Array<{ status: string }>>(
    "SELECT status FROM tasks WHERE id = $1",
    taskId,
  );
  return row!.status;
}

describe("an agent scripted to misbehave", () => {
  it("is refused a forbidden tool and an overspending call, and both refusals are events", async () => {
    const ventureId = await readyVenture(s.db, portfolioId);
    const submitted = await submitWorkstream({
      db: s.db,
      actor: founder,
      correlationId: "cor_misbehave",
      ventureId,
      title: "Misbehave",
      tasks: [
        {
          key: "forbidden",
          title: "Copywriter tries to launch ads",
          role: "copywriter",
          inputs: {
            script: [
              {
                tool: "ads.launch_campaign",
                args: { channel: "social", audience: "everyone", dailyBudgetMinor: "100000" },
              },
              { answer: "Wrote the copy instead." },
            ],
          },
        },
        {
          key: "overspend",
          title: "Researcher asks for a huge call",
          role: "researcher",
          inputs: { maxTokens: 50_000_000, script: [{ answer: "never" }] },
        },
      ],
    });
    const forbidden = submitted.taskIds.forbidden!;
    const overspend = submitted.taskIds.overspend!;
    await eventually(
      async () => (await status(forbidden)) === "succeeded" && (await status(overspend)) === "escalated",
      20_000,
    );

    const denials = await eventsOf("agents.tool_call_denied", forbidden);
    expect(denials).toHaveLength(1);
    expect(denials[0]!.payload).toMatchObject({ tool: "ads.launch_campaign", reason: "role_allowlist" });
    const forbiddenTask = await getTask({ db: s.db, ventureId, taskId: forbidden });
    expect(forbiddenTask.output?.denials).toEqual(["ads.launch_campaign: role_allowlist"]);
    // Nothing ran: no permit was recorded for it.
    expect(
      (await eventsOf("agents.tool_call_allowed", forbidden)).filter(
        (e) => e.payload.tool === "ads.launch_campaign",
      ),
    ).toEqual([]);

    const refusals = await eventsOf("agents.model_call_refused", overspend);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]!.payload).toMatchObject({ reason: "spend_ceiling" });
    // The refused call never reached the provider and placed no hold.
    expect(await eventsOf("agents.model_call_completed", overspend)).toEqual([]);
    const overspendTask = await getTask({ db: s.db, ventureId, taskId: overspend });
    expect(overspendTask.lastError).toMatch(/spend ceiling/);
    expect(overspendTask.costMinor).toBe(0n);
  }, 30_000);

  it("is refused a model call its venture's budget cannot cover", async () => {
    const ventureId = await readyVenture(s.db, portfolioId, { budgetMinor: 0n });
    const submitted = await submitWorkstream({
      db: s.db,
      actor: founder,
      correlationId: "cor_broke",
      ventureId,
      title: "Broke",
      tasks: [{ key: "t", title: "Anything", role: "researcher", inputs: { script: [{ answer: "x" }] } }],
    });
    const taskId = submitted.taskIds.t!;
    await eventually(async () => (await status(taskId)) === "escalated", 20_000);
    const refusals = await eventsOf("agents.model_call_refused", taskId);
    expect(refusals[0]?.payload).toMatchObject({ reason: "budget" });
  }, 30_000);
});

describe("a tool that needs approval, in a running task", () => {
  it("waits for the person's approval of the exact call, then goes on", async () => {
    const ventureId = await readyVenture(s.db, portfolioId);
    const args = { to: "principal@school.example", subject: "Solar kits", body: "A pilot for your school?" };
    const submitted = await submitWorkstream({
      db: s.db,
      actor: founder,
      correlationId: "cor_approval",
      ventureId,
      title: "Outreach",
      tasks: [
        {
          key: "mail",
          title: "Email a school",
          role: "growth_marketer",
          inputs: { script: [{ tool: "email.send", args }, { answer: "Sent the pilot email." }] },
        },
      ],
    });
    const taskId = submitted.taskIds.mail!;
    const pending = await eventually(
      async () =>
        (await listToolApprovals({ db: s.db, portfolioId, ventureId })).find((a) => a.taskId === taskId),
      15_000,
      "approval requested",
    );
    expect(pending.args).toEqual(args);
    expect(await status(taskId)).toBe("running");
    await decideToolApproval({
      db: s.db,
      actor: founder,
      correlationId: "cor_approval",
      ventureId,
      approvalId: pending.id,
      decision: "approved",
    });
    await eventually(async () => (await status(taskId)) === "succeeded", 15_000, "succeeded after approval");
    const completed = await eventsOf("agents.tool_call_completed", taskId);
    expect(completed.map((e) => e.payload.tool)).toContain("email.send");
  }, 40_000);
});
