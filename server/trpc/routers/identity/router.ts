import { createTRPCRouter } from "@/server/trpc/init";
import { meProcedure } from "./me";

export const identityRouter = createTRPCRouter({ me: meProcedure });
