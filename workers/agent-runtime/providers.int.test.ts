// Tasks run by real SDK providers against local fake servers (test/fakes), through the whole
// pipeline: the hold for the call's maximum cost, the actual cost posted from the usage the API
// reported, a failed call released and retried (AGENT-004 metering).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { submitWorkstream } from "@/server/contexts/orchestration/submit-workstream";
import {
  eventually,
  portfolioWithPolicies,
  readyVenture,
} from "@/server/contexts/orchestration/testing/fixtures";
import { startFakeAnthropic } from "@/test/fakes/anthropic";
import type { FakeServer } from "@/test/fakes/fake-server";
import { startFakeOpenAi } from "@/test/fakes/openai";
import { openTestServices, type TestServices } from "@/test/services";
import { type Stack, startStack } from "../orchestrator/testing";

let s: TestServices;
let portfolioId: string;
const founder = { type: "user" as const, id: "usr_founder" };

beforeAll(async () => {
  s = await openTestServices();
  portfolioId = await portfolioWithPolicies(s.db);
}, 60_000);
afterAll(async () => {
  await s?.close();
});

async function modelCalls(taskId: string) {
  return s.db.$queryRawUnsafe<
    Array<{
      status: string;
      provider: string;
      model: string;
      cost: bigint;
      max: bigint;
      input_tokens: number;
      output_tokens: number;
    }>
  >(
    `SELECT status, provider, model, cost_minor AS cost, max_cost_minor AS max, input_tokens, output_tokens
       FROM agent_model_calls WHERE task_id = $1 ORDER BY started_at`,
    taskId,
  );
}

async function expensePosted(ventureId: string): Promise<{ posted: bigint; pending: bigint }> {
  const [row] = await s.db.$queryRawUnsafe<Array<{ posted: bigint; pending: bigint }>>(
    "SELECT debits_posted AS posted, debits_pending AS pending FROM ledger_accounts WHERE id = $1",
    `${ventureId}:expense:models:USD`,
  );
  return row!;
}

async function status(taskId: string): Promise<string> {
  const [row] = await s.db.$queryRawUnsafe<Array<{ status: string }>>(
    "SELECT status FROM tasks WHERE id = $1",
    taskId,
  );
  return row!.status;
}

for (const which of ["anthropic", "openai"] as const) {
  describe(`tasks on the ${which} provider (fake server, real SDK)`, () => {
    let fake: FakeServer;
    let stack: Stack;
    beforeAll(async () => {
      fake = which === "anthropic" ? await startFakeAnthropic() : await startFakeOpenAi();
      stack = await startStack(s, {
        agents: {
          providers:
            which === "anthropic"
              ? {
                  anthropic: { apiKey: "sk-ant-test", baseURL: fake.url },
                  override: { provider: "anthropic", model: "claude-test" },
                }
              : {
                  openai: { apiKey: "sk-test", baseURL: `${fake.url}/v1` },
                  override: { provider: "openai", model: "gpt-test" },
                },
        },
      });
    }, 30_000);
    afterAll(async () => {
      await stack?.stop();
      await fake?.close();
    });

    it("runs a tool-using task and charges exactly the reported usage", async () => {
      const ventureId = await readyVenture(s.db, portfolioId, { budgetMinor: 10_000n });
      fake.enqueue(
        {
          kind: "stream",
          toolCalls: [{ name: "memory__search", args: { query: "schools" } }],
          usage: { input: 500, output: 1_000 },
        },
        { kind: "stream", text: "Schools want hands-on kits.", usage: { input: 800, output: 300 } },
      );
      const submitted = await submitWorkstream({
        db: s.db,
        actor: founder,
        correlationId: `cor_${which}_ok`,
        ventureId,
        title: "Research",
        tasks: [{ key: "r", title: "Research schools", role: "researcher" }],
      });
      const taskId = submitted.taskIds.r!;
      await eventually(async () => (await status(taskId)) === "succeeded", 20_000, "succeeded");
      const calls = await modelCalls(taskId);
      expect(calls.map((c) => [c.provider, c.model, c.status, c.input_tokens, c.output_tokens])).toEqual([
        [which, which === "anthropic" ? "claude-test" : "gpt-test", "ok", 500, 1_000],
        [which, which === "anthropic" ? "claude-test" : "gpt-test", "ok", 800, 300],
      ]);
      // Price per million tokens (minor units), rounded up per call.
      const price = which === "anthropic" ? { in: 300n, out: 1_500n } : { in: 250n, out: 1_000n };
      const cost = (i: bigint, o: bigint) => (i * price.in + o * price.out + 999_999n) / 1_000_000n;
      expect(calls.map((c) => c.cost)).toEqual([cost(500n, 1_000n), cost(800n, 300n)]);
      expect(calls.every((c) => c.max >= c.cost)).toBe(true);
      expect(await expensePosted(ventureId)).toEqual({
        posted: cost(500n, 1_000n) + cost(800n, 300n),
        pending: 0n,
      });
      const [task] = await s.db.$queryRawUnsafe<Array<{ summary: string }>>(
        "SELECT result->>'summary' AS summary FROM tasks WHERE id = $1",
        taskId,
      );
      expect(task!.summary).toBe("Schools want hands-on kits.");
    }, 30_000);

    it("releases the hold of a failed call, retries the attempt, and charges only what was used", async () => {
      const ventureId = await readyVenture(s.db, portfolioId, { budgetMinor: 10_000n });
      fake.enqueue(
        { kind: "error", status: 503 },
        { kind: "stream", text: "Second time lucky.", usage: { input: 100, output: 100 } },
      );
      const submitted = await submitWorkstream({
        db: s.db,
        actor: founder,
        correlationId: `cor_${which}_retry`,
        ventureId,
        title: "Retry",
        tasks: [
          {
            key: "r",
            title: "Retry me",
            role: "finance_analyst",
            retry: { maxAttempts: 3, backoffMs: 50, backoffMaxMs: 100 },
          },
        ],
      });
      const taskId = submitted.taskIds.r!;
      await eventually(async () => (await status(taskId)) === "succeeded", 20_000, "succeeded after retry");
      const calls = await modelCalls(taskId);
      expect(calls.map((c) => c.status)).toEqual(["error", "ok"]);
      expect(calls[0]!.cost).toBe(0n);
      expect(await expensePosted(ventureId)).toEqual({ posted: calls[1]!.cost, pending: 0n });
    }, 30_000);
  });
}
