import { z } from "zod";
import { getControlState } from "@/server/contexts/control/api";
import { roleAllows } from "@/server/contexts/identity/roles";
import { signedInProcedure } from "@/server/trpc/init";
import { controlStateOutput } from "./schemas";

export const getStateProcedure = signedInProcedure
  .output(
    z.object({
      state: controlStateOutput,
      /** What the caller may do, so the UI can disable what the server would refuse. */
      viewer: z.object({ mayPause: z.boolean(), mayResume: z.boolean() }),
    }),
  )
  .query(async ({ ctx }) => {
    const state = await getControlState({ db: ctx.db });
    const roles = ctx.principal.memberships.map((m) => m.role);
    return {
      state,
      viewer: {
        mayPause: roles.some((role) => roleAllows(role, "control.pause")),
        mayResume: roles.some((role) => roleAllows(role, "control.resume")),
      },
    };
  });
