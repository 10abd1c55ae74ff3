import { z } from "zod";
import { listPolicyVersions } from "@/server/contexts/policy/list-policy-versions";
import { policyScopes } from "@/server/shared/events/catalog/policy";
import { portfolioProcedure } from "@/server/trpc/init";

export const listPolicyVersionsInput = z
  .object({ portfolioId: z.string().min(1), scope: z.enum(policyScopes).optional() })
  .strict();

export const listPolicyVersionsProcedure = portfolioProcedure("policy.read")
  .input(listPolicyVersionsInput)
  .output(
    z.array(
      z.object({
        scope: z.enum(policyScopes),
        number: z.number().int(),
        versionHash: z.string(),
        policyIds: z.array(z.string()),
        note: z.string().nullable(),
        text: z.string(),
        createdBy: z.object({ type: z.string(), id: z.string() }),
        createdAt: z.date(),
        active: z.boolean(),
      }),
    ),
  )
  .query(({ ctx, input }) =>
    listPolicyVersions({ db: ctx.db, portfolioId: input.portfolioId, scope: input.scope }),
  );
