import { createTRPCRouter } from "@/server/trpc/init";
import { createVentureProcedure } from "./create-venture";
import { getVentureProcedure } from "./get-venture";
import { listVenturesProcedure } from "./list-ventures";

export const orchestrationRouter = createTRPCRouter({
  createVenture: createVentureProcedure,
  getVenture: getVentureProcedure,
  listVentures: listVenturesProcedure,
});
