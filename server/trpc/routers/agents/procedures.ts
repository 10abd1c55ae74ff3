// Agents procedures (AGENT-001…008): thin, one use-case each.
import { z } from "zod";
import { decideToolApproval } from "@/server/contexts/agents/decide-tool-approval";
import { getTaskActivity } from "@/server/contexts/agents/get-task-activity";
import { getVentureUsage } from "@/server/contexts/agents/get-venture-usage";
import { processKeyring } from "@/server/contexts/agents/identity/process-keyring";
import { issueWorkloadToken } from "@/server/contexts/agents/issue-workload-token";
import { listRoles } from "@/server/contexts/agents/list-roles";
import { listToolApprovals } from "@/server/contexts/agents/list-tool-approvals";
import { searchMemory } from "@/server/contexts/agents/memory/venture-memory";
import { portfolioProcedure } from "@/server/trpc/init";

export const listRolesProcedure = portfolioProcedure("portfolio.read")
  .input(z.object({ portfolioId: z.string().min(1) }).strict())
  .output(
    z.object({
      roles: z.array(
        z.object({
          name: z.string(),
          title: z.string(),
          level: z.string(),
          prompt: z.string(),
          tools: z.array(z.string()),
          provider: z.string(),
          model: z.string(),
          maxTokens: z.number().int(),
          maxTurns: z.number().int(),
          spendCeilingMinor: z.bigint(),
        }),
      ),
      tools: z.array(
        z.object({
          name: z.string(),
          description: z.string(),
          sideEffects: z.string(),
          costMinor: z.bigint(),
          needsApproval: z.boolean(),
        }),
      ),
    }),
  )
  .query(() => listRoles());

const decisionOutput = z
  .object({
    outcome: z.string(),
    determiningPolicies: z.array(z.string()),
    reasons: z.array(z.string()),
    policyVersion: z.string(),
  })
  .nullable();

export const taskActivityProcedure = portfolioProcedure("venture.read")
  .input(z.object({ ventureId: z.string().min(1), taskId: z.string().min(1) }).strict())
  .output(
    z.object({
      modelCalls: z.array(
        z.object({
          id: z.string(),
          runId: z.string(),
          seq: z.number().int(),
          provider: z.string(),
          model: z.string(),
          status: z.string(),
          maxCostMinor: z.bigint(),
          costMinor: z.bigint(),
          inputTokens: z.number().int(),
          outputTokens: z.number().int(),
          error: z.string().nullable(),
          startedAt: z.date(),
          finishedAt: z.date().nullable(),
        }),
      ),
      toolCalls: z.array(
        z.object({
          id: z.string(),
          runId: z.string().nullable(),
          tool: z.string(),
          outcome: z.string(),
          reason: z.string().nullable(),
          decision: decisionOutput,
          costMinor: z.bigint(),
          summary: z.string(),
          via: z.string(),
          createdAt: z.date(),
        }),
      ),
      approvals: z.array(
        z.object({
          id: z.string(),
          tool: z.string(),
          status: z.string(),
          expiresAt: z.date(),
          decidedBy: z.string().nullable(),
          createdAt: z.date(),
        }),
      ),
      totals: z.object({
        costMinor: z.bigint(),
        inputTokens: z.number().int(),
        outputTokens: z.number().int(),
        modelCalls: z.number().int(),
        toolCalls: z.number().int(),
        denials: z.number().int(),
      }),
    }),
  )
  .query(({ ctx, input }) =>
    getTaskActivity({ db: ctx.db, ventureId: input.ventureId, taskId: input.taskId }),
  );

export const ventureUsageProcedure = portfolioProcedure("venture.read")
  .input(z.object({ ventureId: z.string().min(1) }).strict())
  .output(
    z.object({
      costMinor: z.bigint(),
      heldMinor: z.bigint(),
      inputTokens: z.number().int(),
      outputTokens: z.number().int(),
      modelCalls: z.number().int(),
      refusedCalls: z.number().int(),
      toolCalls: z.number().int(),
      deniedToolCalls: z.number().int(),
    }),
  )
  .query(({ ctx, input }) => getVentureUsage({ db: ctx.db, ventureId: input.ventureId }));

const approvalOutput = z.object({
  id: z.string(),
  ventureId: z.string(),
  taskId: z.string(),
  tool: z.string(),
  argsHash: z.string(),
  args: z.record(z.string(), z.unknown()),
  status: z.string(),
  expired: z.boolean(),
  expiresAt: z.date(),
  decidedBy: z.string().nullable(),
  decidedAt: z.date().nullable(),
  note: z.string().nullable(),
  createdAt: z.date(),
});

export const listToolApprovalsProcedure = portfolioProcedure("venture.read")
  .input(
    z
      .object({
        portfolioId: z.string().min(1),
        ventureId: z.string().min(1).optional(),
        pendingOnly: z.boolean().optional(),
      })
      .strict(),
  )
  .output(z.array(approvalOutput))
  .query(({ ctx, input }) =>
    listToolApprovals({
      db: ctx.db,
      portfolioId: input.portfolioId,
      ventureId: input.ventureId,
      pendingOnly: input.pendingOnly,
    }),
  );

export const decideToolApprovalProcedure = portfolioProcedure("tool.approve")
  .input(
    z
      .object({
        ventureId: z.string().min(1),
        approvalId: z.string().min(1),
        decision: z.enum(["approved", "denied"]),
        note: z.string().trim().max(500, "at most 500 characters").optional(),
      })
      .strict(),
  )
  .output(approvalOutput.extend({ changed: z.boolean() }))
  .mutation(({ ctx, input }) =>
    decideToolApproval({ db: ctx.db, actor: ctx.actor, correlationId: ctx.correlationId, ...input }),
  );

export const searchMemoryProcedure = portfolioProcedure("venture.read")
  .input(
    z
      .object({
        ventureId: z.string().min(1),
        query: z.string().trim().min(1, "required").max(500),
        limit: z.number().int().min(1).max(50).optional(),
      })
      .strict(),
  )
  .output(
    z.array(
      z.object({
        id: z.string(),
        kind: z.string(),
        title: z.string(),
        snippet: z.string(),
        taskId: z.string().nullable(),
        rank: z.number(),
        createdAt: z.date(),
      }),
    ),
  )
  .query(({ ctx, input }) => searchMemory(ctx.db, input));

export const issueWorkloadTokenProcedure = portfolioProcedure("agent.credential.issue")
  .input(
    z
      .object({
        ventureId: z.string().min(1),
        taskId: z.string().min(1),
        tools: z.array(z.string().min(1)).max(64).optional(),
        ttlMinutes: z.number().int().min(1, "at least 1").max(60, "at most 60").optional(),
      })
      .strict(),
  )
  .output(
    z.object({ token: z.string(), tokenId: z.string(), expiresAt: z.date(), tools: z.array(z.string()) }),
  )
  .mutation(({ ctx, input }) =>
    issueWorkloadToken({
      db: ctx.db,
      keyring: processKeyring(),
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      ...input,
    }),
  );
