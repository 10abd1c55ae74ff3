import { createTRPCRouter } from "@/server/trpc/init";
import { listPolicyVersionsProcedure } from "./list-versions";
import { publishPolicyProcedure } from "./publish";

export const policyRouter = createTRPCRouter({
  listVersions: listPolicyVersionsProcedure,
  publish: publishPolicyProcedure,
});
