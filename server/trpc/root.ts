// The application router: one sub-router per context.
import { createCallerFactory, createTRPCRouter } from "./init";
import { identityRouter } from "./routers/identity/router";
import { liveRouter } from "./routers/live/router";
import { orchestrationRouter } from "./routers/orchestration/router";
import { policyRouter } from "./routers/policy/router";
import { systemRouter } from "./routers/system/router";

export const appRouter = createTRPCRouter({
  identity: identityRouter,
  live: liveRouter,
  orchestration: orchestrationRouter,
  policy: policyRouter,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
