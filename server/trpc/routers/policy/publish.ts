import { z } from "zod";
import { publishPolicyVersion } from "@/server/contexts/policy/publish-policy-version";
import { policyScopes } from "@/server/shared/events/catalog/policy";
import { portfolioProcedure } from "@/server/trpc/init";

export const publishPolicyInput = z
  .object({
    portfolioId: z.string().min(1),
    scope: z.enum(policyScopes),
    text: z.string().min(1, "the policy text is empty").max(200_000, "at most 200000 characters"),
    note: z.string().max(500).nullish(),
  })
  .strict();

export const publishPolicyProcedure = portfolioProcedure("policy.publish")
  .input(publishPolicyInput)
  .output(
    z.object({
      versionNumber: z.number().int(),
      versionHash: z.string(),
      changed: z.boolean(),
      warnings: z.array(
        z.object({ message: z.string(), line: z.number().nullable(), column: z.number().nullable() }),
      ),
    }),
  )
  .mutation(async ({ ctx, input }) => {
    const published = await publishPolicyVersion({
      db: ctx.db,
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      role: ctx.role,
      portfolioId: input.portfolioId,
      scope: input.scope,
      text: input.text,
      note: input.note ?? null,
    });
    return {
      versionNumber: published.versionNumber,
      versionHash: published.versionHash,
      changed: published.changed,
      warnings: published.warnings.map((w) => ({ message: w.message, line: w.line, column: w.column })),
    };
  });
