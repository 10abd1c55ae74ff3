// The tool registry (AGENT-002): every tool an agent can call, with a zod schema for its arguments,
// what it touches (side effects), what it costs, and whether a person must approve each exact call.
// Tools run only through the gateway (gateway.ts), which checks the workload token, the role's
// allowlist, the task's scope and the Cedar policy first.
import { z } from "zod";
import type { Db } from "@/server/shared/db";
import { recordMemory, searchMemory } from "../memory/venture-memory";
import type { SupervisedResult, Supervisor } from "../supervisor/supervisor";

export type ToolContext = {
  db: Db;
  now: Date;
  venture: { id: string; portfolioId: string; currency: string };
  taskId: string;
  runId: string;
  signal: AbortSignal;
  /** The L3 supervisor of this process; null where subprocesses may not run. */
  supervisor: Supervisor | null;
};

export type ToolResult = {
  summary: string;
  output: Record<string, unknown>;
  /** Set by tools that ran a supervised process (recorded as agents.process_exited). */
  process?: { program: string; result: SupervisedResult };
};

export type ToolDefinition<S extends z.ZodType = z.ZodType> = {
  name: string;
  description: string;
  input: S;
  /** none: reads only; internal: writes our own records; external: acts outside (mail, ads). */
  sideEffects: "none" | "internal" | "external";
  /** What one call costs, minor units of the venture's currency, charged like a model call. */
  costMinor: bigint;
  /** Each exact call (arguments hashed) waits for a person's approval, which expires. */
  needsApproval: boolean;
  run(ctx: ToolContext, args: z.infer<S>): Promise<ToolResult>;
};

function define<S extends z.ZodType>(tool: ToolDefinition<S>): ToolDefinition {
  return tool as unknown as ToolDefinition;
}

const scriptFile: Record<string, string> = { sh: "main.sh", node: "main.js", python3: "main.py" };

export const toolDefinitions: ToolDefinition[] = [
  define({
    name: "memory.search",
    description: "Search the venture's memory: earlier task results, notes and drafts (full-text).",
    input: z
      .object({ query: z.string().min(1).max(500), limit: z.number().int().min(1).max(20).optional() })
      .strict(),
    sideEffects: "none",
    costMinor: 0n,
    needsApproval: false,
    async run(ctx, args) {
      const hits = await searchMemory(ctx.db, {
        ventureId: ctx.venture.id,
        query: args.query,
        limit: args.limit ?? 5,
      });
      return {
        summary: `${hits.length} memories match "${args.query}"`,
        output: {
          hits: hits.map((h) => ({
            id: h.id,
            kind: h.kind,
            title: h.title,
            snippet: h.snippet,
            taskId: h.taskId,
          })),
        },
      };
    },
  }),
  define({
    name: "notes.write",
    description: "Save a note in the venture's memory for later tasks.",
    input: z.object({ title: z.string().min(1).max(200), body: z.string().min(1).max(20_000) }).strict(),
    sideEffects: "internal",
    costMinor: 0n,
    needsApproval: false,
    async run(ctx, args) {
      const saved = await recordMemory(ctx.db, {
        portfolioId: ctx.venture.portfolioId,
        ventureId: ctx.venture.id,
        taskId: null,
        kind: "note",
        title: args.title,
        body: args.body,
        now: ctx.now,
      });
      return { summary: `Saved note "${args.title}"`, output: { memoryId: saved.id } };
    },
  }),
  define({
    name: "artifact.draft",
    description: "Save a draft artifact (document, landing page copy, brief) for review.",
    input: z
      .object({
        kind: z.enum(["document", "landing_page", "pitch_deck", "image_brief", "video_brief"]),
        title: z.string().min(1).max(200),
        body: z.string().min(1).max(50_000),
      })
      .strict(),
    sideEffects: "internal",
    costMinor: 0n,
    needsApproval: false,
    async run(ctx, args) {
      // Until the artifact compiler owns drafts, they live in venture memory (kind "artifact").
      const saved = await recordMemory(ctx.db, {
        portfolioId: ctx.venture.portfolioId,
        ventureId: ctx.venture.id,
        taskId: null,
        kind: "artifact",
        title: `[${args.kind}] ${args.title}`,
        body: args.body,
        now: ctx.now,
      });
      return {
        summary: `Drafted ${args.kind} "${args.title}"`,
        output: { memoryId: saved.id, kind: args.kind },
      };
    },
  }),
  define({
    name: "web.search",
    description: "Search the web. Offline deployments answer from a deterministic stub (no network).",
    input: z.object({ query: z.string().min(1).max(300) }).strict(),
    sideEffects: "none",
    costMinor: 1n,
    needsApproval: false,
    async run(_ctx, args) {
      const results = [1, 2, 3].map((n) => ({
        title: `${args.query} — source ${n}`,
        url: `https://example.invalid/search/${encodeURIComponent(args.query)}/${n}`,
      }));
      return { summary: `${results.length} results for "${args.query}" (offline stub)`, output: { results } };
    },
  }),
  define({
    name: "email.send",
    description: "Send an email to a customer or partner. Each exact email needs a person's approval.",
    input: z
      .object({ to: z.email(), subject: z.string().min(1).max(200), body: z.string().min(1).max(20_000) })
      .strict(),
    sideEffects: "external",
    costMinor: 0n,
    needsApproval: true,
    async run(_ctx, args) {
      // No mail rail is connected yet: the approved email is recorded as sent to the sandbox outbox.
      return {
        summary: `Email "${args.subject}" sent to ${args.to} (sandbox outbox)`,
        output: { to: args.to, delivered: "sandbox" },
      };
    },
  }),
  define({
    name: "ads.launch_campaign",
    description:
      "Launch an ad campaign. Each exact campaign needs a person's approval; spend goes through treasury.",
    input: z
      .object({
        channel: z.enum(["search", "social", "display"]),
        audience: z.string().min(1).max(500),
        dailyBudgetMinor: z.string().regex(/^\d{1,12}$/),
      })
      .strict(),
    sideEffects: "external",
    costMinor: 0n,
    needsApproval: true,
    async run(_ctx, args) {
      return {
        summary: `Campaign on ${args.channel} for "${args.audience}" launched in the sandbox`,
        output: { channel: args.channel, status: "sandbox" },
      };
    },
  }),
  define({
    name: "sandbox.run",
    description: "Run a short program (sh, node or python3) in a supervised sandbox and return its output.",
    input: z
      .object({
        program: z.enum(["sh", "node", "python3"]),
        script: z.string().min(1).max(100_000),
        timeoutMs: z.number().int().min(100).max(600_000).optional(),
      })
      .strict(),
    sideEffects: "internal",
    costMinor: 0n,
    needsApproval: false,
    async run(ctx, args) {
      if (!ctx.supervisor)
        throw new Error(
          "Subprocesses do not run in this process; call sandbox.run through the agent runtime",
        );
      const file = scriptFile[args.program]!;
      const result = await ctx.supervisor.run({
        program: args.program,
        args: [file],
        files: { [file]: args.script },
        timeoutMs: args.timeoutMs ?? 30_000,
        signal: ctx.signal,
      });
      return {
        summary: `${args.program} ${result.outcome}${result.exitCode !== null ? ` (exit ${result.exitCode})` : ""} in ${result.durationMs} ms`,
        output: {
          outcome: result.outcome,
          exitCode: result.exitCode,
          signal: result.signal,
          stdout: result.stdout,
          stderr: result.stderr,
          truncated: result.truncated,
        },
        process: { program: args.program, result },
      };
    },
  }),
];

export const toolsByName = new Map(toolDefinitions.map((t) => [t.name, t]));

/** The JSON Schema of a tool's arguments, for providers and MCP. */
export function toolJsonSchema(tool: ToolDefinition): Record<string, unknown> {
  const { $schema: _schema, ...schema } = z.toJSONSchema(tool.input) as Record<string, unknown>;
  return schema;
}
