import { createTRPCRouter } from "@/server/trpc/init";
import {
  addVersionProcedure,
  approveArtifactProcedure,
  buildFileProcedure,
  bundleFileProcedure,
  createArtifactProcedure,
  diffVersionsProcedure,
  getArtifactProcedure,
  getBuildProcedure,
  listArtifactsProcedure,
  locateArtifactProcedure,
  publishArtifactProcedure,
  requestBuildProcedure,
  requestChangesProcedure,
  submitForReviewProcedure,
} from "./procedures";

export const artifactsRouter = createTRPCRouter({
  create: createArtifactProcedure,
  addVersion: addVersionProcedure,
  list: listArtifactsProcedure,
  get: getArtifactProcedure,
  requestBuild: requestBuildProcedure,
  getBuild: getBuildProcedure,
  buildFile: buildFileProcedure,
  bundleFile: bundleFileProcedure,
  diff: diffVersionsProcedure,
  submitForReview: submitForReviewProcedure,
  approve: approveArtifactProcedure,
  requestChanges: requestChangesProcedure,
  publish: publishArtifactProcedure,
  locate: locateArtifactProcedure,
});
