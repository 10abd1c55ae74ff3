import { createTRPCRouter } from "@/server/trpc/init";
import {
  decideToolApprovalProcedure,
  issueWorkloadTokenProcedure,
  listRolesProcedure,
  listToolApprovalsProcedure,
  searchMemoryProcedure,
  taskActivityProcedure,
  ventureUsageProcedure,
} from "./procedures";

export const agentsRouter = createTRPCRouter({
  listRoles: listRolesProcedure,
  taskActivity: taskActivityProcedure,
  ventureUsage: ventureUsageProcedure,
  listToolApprovals: listToolApprovalsProcedure,
  decideToolApproval: decideToolApprovalProcedure,
  searchMemory: searchMemoryProcedure,
  issueWorkloadToken: issueWorkloadTokenProcedure,
});
