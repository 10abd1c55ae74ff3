// What other contexts may import from compliance: raising a finding in their own transaction
// (reconciliation breaks, anomalies) and the data-subject types their catalog entries name.

export { erasedValue, type SubjectType, subjectTypes } from "@/server/shared/events/personal-data";
// The compliance job (checkpoints, verification, packs, continuous checks, retention), run by the orchestrator.
export { startComplianceWorker } from "./compliance-worker";
export { type FindingSeverity, type FindingStatus, type FindingView, raiseFinding } from "./findings";
// The audit keyring and signatures, for the artifact compiler's provenance manifests (ADR 0010).
export { AuditKeyring } from "./keyring";
export { complianceSettings } from "./settings";
export { type AuditPublicKey, keyIdOf, signBytes, verifyBytes } from "./signing";
export { listAuditKeys, syncKeyring } from "./sync-keyring";
