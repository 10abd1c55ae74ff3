// Scale-up playbooks (ORCH-008, UJ-6, ADR 0017): read a venture's playbook and where it stands,
// configure it (founders, finance controllers, admins), list the runs it fired.
import {
  getScaleUpPlaybook,
  listScaleUpRuns,
  setScaleUpPlaybook,
} from "@/server/contexts/orchestration/playbooks/api";
import { AppError } from "@/server/shared/errors";
import { createTRPCRouter, portfolioProcedure } from "@/server/trpc/init";
import {
  listRunsInput,
  playbookVentureInput,
  scaleUpPlaybookOutput,
  scaleUpRunOutput,
  setPlaybookInput,
  setPlaybookOutput,
} from "./schemas";

export const playbooksRouter = createTRPCRouter({
  get: portfolioProcedure("venture.read")
    .input(playbookVentureInput)
    .output(scaleUpPlaybookOutput)
    .query(async ({ ctx, input }) => {
      const view = await getScaleUpPlaybook({ db: ctx.db, ventureId: input.ventureId });
      if (!view) throw new AppError("NOT_FOUND", `Venture ${input.ventureId} not found`);
      return view;
    }),
  set: portfolioProcedure("playbook.manage")
    .input(setPlaybookInput)
    .output(setPlaybookOutput)
    .mutation(({ ctx, input }) => {
      const { ventureId, ...config } = input;
      return setScaleUpPlaybook({
        db: ctx.db,
        actor: ctx.actor,
        correlationId: ctx.correlationId,
        ventureId,
        configuredBy: ctx.principal.userId,
        input: config,
      });
    }),
  listRuns: portfolioProcedure("venture.read")
    .input(listRunsInput)
    .output(scaleUpRunOutput.array())
    .query(({ ctx, input }) =>
      listScaleUpRuns({ db: ctx.db, ventureId: input.ventureId, limit: input.limit }),
    ),
});
