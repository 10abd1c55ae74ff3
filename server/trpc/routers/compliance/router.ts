import { createTRPCRouter } from "@/server/trpc/init";
import { createEvidencePackProcedure } from "./create-evidence-pack";
import { eraseSubjectProcedure } from "./erase-subject";
import { evidencePackFileProcedure } from "./evidence-pack-file";
import { exportSubjectDataProcedure } from "./export-subject-data";
import { getEventProcedure } from "./get-event";
import { getEvidencePackProcedure } from "./get-evidence-pack";
import { getVerificationProcedure } from "./get-verification";
import { listEvidencePacksProcedure } from "./list-evidence-packs";
import { listFindingsProcedure } from "./list-findings";
import { listKeysProcedure } from "./list-keys";
import { overviewProcedure } from "./overview";
import { searchEventsProcedure } from "./search-events";
import { startVerificationProcedure } from "./start-verification";
import { updateFindingProcedure } from "./update-finding";
import { verifyNowProcedure } from "./verify-now";

export const complianceRouter = createTRPCRouter({
  overview: overviewProcedure,
  searchEvents: searchEventsProcedure,
  getEvent: getEventProcedure,
  listKeys: listKeysProcedure,
  verifyNow: verifyNowProcedure,
  startVerification: startVerificationProcedure,
  getVerification: getVerificationProcedure,
  listFindings: listFindingsProcedure,
  updateFinding: updateFindingProcedure,
  exportSubjectData: exportSubjectDataProcedure,
  eraseSubject: eraseSubjectProcedure,
  createEvidencePack: createEvidencePackProcedure,
  listEvidencePacks: listEvidencePacksProcedure,
  getEvidencePack: getEvidencePackProcedure,
  evidencePackFile: evidencePackFileProcedure,
});
