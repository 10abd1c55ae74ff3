// The MCP gateway with the real MCP client SDK (AGENT-008): tools listed per workload token, calls
// through the same gateway checks as the runtime, refusals recorded as events, bad tokens refused.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pauseVenture } from "@/server/contexts/orchestration/pause-venture";
import { submitWorkstream } from "@/server/contexts/orchestration/submit-workstream";
import { portfolioWithPolicies, readyVenture } from "@/server/contexts/orchestration/testing/fixtures";
import { openTestServices, type TestServices } from "@/test/services";
import { WorkloadKeyring } from "../identity/workload-token";
import { issueWorkloadToken } from "../issue-workload-token";
import { ledgerMeter } from "../metering/meter";
import { handleMcpRequest } from "./mcp-endpoint";

let s: TestServices;
let ventureId: string;
let taskId: string;
const keyring = new WorkloadKeyring("mcp-test");
const founder = { type: "user" as const, id: "usr_founder" };

beforeAll(async () => {
  s = await openTestServices();
  const portfolioId = await portfolioWithPolicies(s.db);
  ventureId = await readyVenture(s.db, portfolioId);
  await pauseVenture({ db: s.db, actor: founder, correlationId: "cor_mcp", ventureId });
  const submitted = await submitWorkstream({
    db: s.db,
    actor: founder,
    correlationId: "cor_mcp",
    ventureId,
    title: "External research",
    tasks: [{ key: "r", title: "Research with an external agent", role: "researcher" }],
  });
  taskId = submitted.taskIds.r!;
}, 60_000);
afterAll(async () => {
  await s?.close();
});

/** An MCP client whose HTTP requests go straight to the route's handler. */
async function connect(token: string | null): Promise<Client> {
  const client = new Client({ name: "external-agent", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL("http://venture.test/api/mcp"), {
    requestInit: token ? { headers: { authorization: `Bearer ${token}` } } : {},
    fetch: (url, init) =>
      handleMcpRequest(new Request(url, init), { db: s.db, meter: ledgerMeter, supervisor: null }),
  });
  await client.connect(transport);
  return client;
}

async function denials(): Promise<Array<{ reason: string; via: string; tool: string }>> {
  const rows = await s.db.$queryRawUnsafe<Array<{ envelope: string }>>(
    "SELECT envelope FROM event_log WHERE type = 'agents.tool_call_denied' ORDER BY position",
  );
  return rows.map(
    (r) => (JSON.parse(r.envelope) as { payload: { reason: string; via: string; tool: string } }).payload,
  );
}

describe("MCP gateway", () => {
  it("lists the token's tools and runs a call through the gateway", async () => {
    const { token } = await issueWorkloadToken({
      db: s.db,
      keyring,
      actor: founder,
      correlationId: "cor_mcp",
      ventureId,
      taskId,
      tools: ["memory.search", "notes.write"],
    });
    const client = await connect(token);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["memory.search", "notes.write"]);
    expect(tools.find((t) => t.name === "memory.search")!.inputSchema).toMatchObject({
      type: "object",
      properties: { query: expect.any(Object) },
    });

    const written = await client.callTool({
      name: "notes.write",
      arguments: { title: "From outside", body: "An external agent wrote this" },
    });
    expect(written.isError).toBeFalsy();
    const found = await client.callTool({ name: "memory.search", arguments: { query: "external agent" } });
    expect(found.isError).toBeFalsy();
    expect(JSON.stringify(found.structuredContent)).toContain("From outside");
    const [allowed] = await s.db.$queryRawUnsafe<Array<{ n: number }>>(
      "SELECT count(*)::int AS n FROM event_log WHERE type = 'agents.tool_call_allowed' AND envelope LIKE '%\"via\":\"mcp\"%'",
    );
    expect(allowed!.n).toBe(2);
    await client.close();
  });

  it("refuses tools outside the role or the token's scope, recording each refusal", async () => {
    const { token } = await issueWorkloadToken({
      db: s.db,
      keyring,
      actor: founder,
      correlationId: "cor_mcp",
      ventureId,
      taskId,
      tools: ["memory.search"],
    });
    const client = await connect(token);
    const outOfScope = await client.callTool({ name: "web.search", arguments: { query: "x" } });
    expect(outOfScope.isError).toBe(true);
    expect(JSON.stringify(outOfScope.content)).toMatch(/task_scope/);
    const forbidden = await client.callTool({
      name: "email.send",
      arguments: { to: "a@example.com", subject: "s", body: "b" },
    });
    expect(forbidden.isError).toBe(true);
    expect(JSON.stringify(forbidden.content)).toMatch(/role_allowlist/);
    const recorded = (await denials()).filter((d) => d.via === "mcp");
    expect(recorded.map((d) => d.reason)).toEqual(expect.arrayContaining(["task_scope", "role_allowlist"]));
    await client.close();
  });

  it("refuses a missing or forged token before anything runs", async () => {
    await expect(connect(null)).rejects.toThrow();
    const { token } = await issueWorkloadToken({
      db: s.db,
      keyring,
      actor: founder,
      correlationId: "cor_mcp",
      ventureId,
      taskId,
    });
    const [header, payload] = token.split(".");
    await expect(connect(`${header}.${payload}.AAAA`)).rejects.toThrow();
    const response = await handleMcpRequest(
      new Request("http://venture.test/api/mcp", {
        method: "POST",
        headers: { authorization: "Bearer nope" },
        body: "{}",
      }),
      { db: s.db, meter: ledgerMeter, supervisor: null },
    );
    expect(response.status).toBe(401);
  });
});
