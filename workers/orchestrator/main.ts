// orchestrator: DAG readiness, dispatch, retries and scheduling. Today it provisions new ventures.
import { runWorker } from "../_runtime/worker";
import { ventureProvisioning } from "./venture-provisioning";

await runWorker({ name: "orchestrator", consumers: [ventureProvisioning] });
