import { createTRPCRouter } from "@/server/trpc/init";
import { liveEventsProcedure } from "./events";

export const liveRouter = createTRPCRouter({ events: liveEventsProcedure });
