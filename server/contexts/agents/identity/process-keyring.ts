// The web process's workload-token signing key (issuing tokens for external agents over MCP).
// One per process, made on first use; its public half is registered like every issuer's.
import { WorkloadKeyring } from "./workload-token";

const globalForKeyring = globalThis as unknown as { ventureWorkloadKeyring?: WorkloadKeyring };

export function processKeyring(): WorkloadKeyring {
  globalForKeyring.ventureWorkloadKeyring ??= new WorkloadKeyring(`web:${process.pid}`);
  return globalForKeyring.ventureWorkloadKeyring;
}
