import { createTRPCRouter } from "@/server/trpc/init";
import { createVentureProcedure } from "./create-venture";
import { getVentureProcedure } from "./get-venture";
import { listVenturesProcedure } from "./list-ventures";
import {
  changeVentureStageProcedure,
  pauseVentureProcedure,
  resumeVentureProcedure,
  setVentureLimitsProcedure,
  updateVentureProcedure,
} from "./manage-venture";
import { submitGoalProcedure, submitWorkstreamProcedure } from "./submit-work";
import {
  cancelTaskProcedure,
  editTaskProcedure,
  getTaskProcedure,
  getVentureDagProcedure,
  listEscalationsProcedure,
  listTasksProcedure,
  locateTaskProcedure,
  pauseTaskProcedure,
  resumeTaskProcedure,
  retryTaskProcedure,
} from "./tasks";
import { launchFromTemplateProcedure, listTemplatesProcedure } from "./templates";
import {
  cancelWorkstreamProcedure,
  pauseWorkstreamProcedure,
  resumeWorkstreamProcedure,
} from "./workstreams";

export const orchestrationRouter = createTRPCRouter({
  createVenture: createVentureProcedure,
  listTemplates: listTemplatesProcedure,
  launchFromTemplate: launchFromTemplateProcedure,
  getVenture: getVentureProcedure,
  listVentures: listVenturesProcedure,
  updateVenture: updateVentureProcedure,
  changeVentureStage: changeVentureStageProcedure,
  setVentureLimits: setVentureLimitsProcedure,
  pauseVenture: pauseVentureProcedure,
  resumeVenture: resumeVentureProcedure,
  submitGoal: submitGoalProcedure,
  submitWorkstream: submitWorkstreamProcedure,
  getVentureDag: getVentureDagProcedure,
  listTasks: listTasksProcedure,
  getTask: getTaskProcedure,
  pauseTask: pauseTaskProcedure,
  resumeTask: resumeTaskProcedure,
  cancelTask: cancelTaskProcedure,
  retryTask: retryTaskProcedure,
  editTask: editTaskProcedure,
  listEscalations: listEscalationsProcedure,
  locateTask: locateTaskProcedure,
  pauseWorkstream: pauseWorkstreamProcedure,
  resumeWorkstream: resumeWorkstreamProcedure,
  cancelWorkstream: cancelWorkstreamProcedure,
});
