// The application router: one sub-router per context.
import { createCallerFactory, createTRPCRouter } from "./init";
import { agentsRouter } from "./routers/agents/router";
import { complianceRouter } from "./routers/compliance/router";
import { controlRouter } from "./routers/control/router";
import { identityRouter } from "./routers/identity/router";
import { liveRouter } from "./routers/live/router";
import { orchestrationRouter } from "./routers/orchestration/router";
import { policyRouter } from "./routers/policy/router";
import { systemRouter } from "./routers/system/router";
import { treasuryRouter } from "./routers/treasury/router";

export const appRouter = createTRPCRouter({
  agents: agentsRouter,
  compliance: complianceRouter,
  control: controlRouter,
  identity: identityRouter,
  live: liveRouter,
  orchestration: orchestrationRouter,
  policy: policyRouter,
  system: systemRouter,
  treasury: treasuryRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
