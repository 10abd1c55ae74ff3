import { z } from "zod";
import { listPortfolios } from "@/server/contexts/orchestration/list-portfolios";
import { roles } from "@/server/shared/events/catalog";
import { signedInProcedure } from "@/server/trpc/init";

export const meProcedure = signedInProcedure
  .output(
    z.object({
      userId: z.string(),
      email: z.string(),
      name: z.string(),
      portfolios: z.array(z.object({ id: z.string(), name: z.string(), role: z.enum(roles) })),
    }),
  )
  .query(async ({ ctx }) => {
    const { principal } = ctx;
    const portfolios = await listPortfolios({
      db: ctx.db,
      portfolioIds: principal.memberships.map((m) => m.portfolioId),
    });
    return {
      userId: principal.userId,
      email: principal.email,
      name: principal.name,
      portfolios: portfolios.map((p) => ({
        id: p.id,
        name: p.name,
        role: principal.memberships.find((m) => m.portfolioId === p.id)!.role,
      })),
    };
  });
