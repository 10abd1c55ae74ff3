// The application router: one sub-router per context.
import { createCallerFactory, createTRPCRouter } from "./init";
import { agentsRouter } from "./routers/agents/router";
import { artifactsRouter } from "./routers/artifacts/router";
import { complianceRouter } from "./routers/compliance/router";
import { controlRouter } from "./routers/control/router";
import { dashboardRouter } from "./routers/dashboard/router";
import { identityRouter } from "./routers/identity/router";
import { liveRouter } from "./routers/live/router";
import { notificationsRouter } from "./routers/notifications/router";
import { orchestrationRouter } from "./routers/orchestration/router";
import { playbooksRouter } from "./routers/playbooks/router";
import { policyRouter } from "./routers/policy/router";
import { rebalancingRouter } from "./routers/rebalancing/router";
import { systemRouter } from "./routers/system/router";
import { treasuryRouter } from "./routers/treasury/router";

export const appRouter = createTRPCRouter({
  agents: agentsRouter,
  artifacts: artifactsRouter,
  compliance: complianceRouter,
  control: controlRouter,
  dashboard: dashboardRouter,
  identity: identityRouter,
  live: liveRouter,
  notifications: notificationsRouter,
  orchestration: orchestrationRouter,
  playbooks: playbooksRouter,
  policy: policyRouter,
  rebalancing: rebalancingRouter,
  system: systemRouter,
  treasury: treasuryRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
