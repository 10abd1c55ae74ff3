import { createTRPCRouter } from "@/server/trpc/init";
import { healthProcedure } from "./health";

export const systemRouter = createTRPCRouter({ health: healthProcedure });
