import { createTRPCRouter } from "@/server/trpc/init";
import { getStateProcedure } from "./get-state";
import { listConfirmationsProcedure } from "./list-confirmations";
import { pauseProcedure } from "./pause";
import { resumeProcedure } from "./resume";

export const controlRouter = createTRPCRouter({
  getState: getStateProcedure,
  pause: pauseProcedure,
  resume: resumeProcedure,
  listConfirmations: listConfirmationsProcedure,
});
