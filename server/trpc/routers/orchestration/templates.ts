// Venture templates (ORCH-008): the catalogue, and launching a venture from one.
import { z } from "zod";
import { launchFromTemplate } from "@/server/contexts/orchestration/launch-from-template";
import { ventureTemplates } from "@/server/contexts/orchestration/templates";
import { portfolioProcedure, signedInProcedure } from "@/server/trpc/init";
import { ventureOutput } from "./venture-output";

export const templateOutput = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  defaultGoal: z.string(),
  suggestedBudgetMinor: z.string().describe("minor units (USD), a string of digits"),
  phases: z.array(
    z.object({
      phase: z.string(),
      tasks: z.array(
        z.object({ key: z.string(), title: z.string(), role: z.string(), dependsOn: z.array(z.string()) }),
      ),
    }),
  ),
});

export const listTemplatesProcedure = signedInProcedure.output(z.array(templateOutput)).query(() =>
  ventureTemplates.map((t) => ({
    id: t.id,
    name: t.name,
    description: t.description,
    defaultGoal: t.defaultGoal,
    suggestedBudgetMinor: t.suggestedBudgetMinor.toString(),
    phases: [...new Set(t.tasks.map((task) => task.inputs.phase))].map((phase) => ({
      phase,
      tasks: t.tasks
        .filter((task) => task.inputs.phase === phase)
        .map((task) => ({
          key: task.key,
          title: task.title,
          role: task.role,
          dependsOn: task.dependsOn ?? [],
        })),
    })),
  })),
);

export const launchFromTemplateInput = z
  .object({
    portfolioId: z.string().min(1),
    templateId: z.string().min(1, "required"),
    name: z.string().trim().min(2, "at least 2 characters").max(80, "at most 80 characters"),
    goal: z.string().trim().max(2_000, "at most 2000 characters").nullish(),
  })
  .strict();

export const launchFromTemplateProcedure = portfolioProcedure("venture.create")
  .input(launchFromTemplateInput)
  .output(z.object({ venture: ventureOutput, workstreamId: z.string(), templateId: z.string() }))
  .mutation(({ ctx, input }) =>
    launchFromTemplate({
      db: ctx.db,
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      portfolioId: input.portfolioId,
      templateId: input.templateId,
      name: input.name,
      goal: input.goal ?? null,
    }),
  );
