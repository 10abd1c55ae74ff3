// Orchestration events: portfolios, ventures, workstreams and tasks.
import { z } from "zod";

export const orchestrationEvents = {
  "orchestration.portfolio_created": {
    schemaVersion: 1,
    payload: z.object({ portfolioId: z.string(), name: z.string() }).strict(),
  },
  "orchestration.venture_created": {
    schemaVersion: 1,
    payload: z
      .object({
        ventureId: z.string(),
        portfolioId: z.string(),
        name: z.string(),
        slug: z.string(),
        goal: z.string().nullable(),
        stage: z.string(),
      })
      .strict(),
  },
  "orchestration.venture_provisioned": {
    schemaVersion: 1,
    payload: z.object({ ventureId: z.string(), provisionedBy: z.string() }).strict(),
  },
} as const;
