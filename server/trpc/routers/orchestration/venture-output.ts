import { z } from "zod";

export const ventureOutput = z.object({
  id: z.string(),
  portfolioId: z.string(),
  name: z.string(),
  slug: z.string(),
  goal: z.string().nullable(),
  stage: z.string(),
  status: z.enum(["provisioning", "ready"]),
  version: z.number().int(),
  createdAt: z.date(),
  provisionedAt: z.date().nullable(),
  paused: z.boolean(),
  concurrencyLimit: z.number().int(),
  weight: z.number().int(),
  currency: z.string(),
});
