// artifact-compiler: a process of its own with its connections, heartbeat and clean shutdown. Its handlers
// arrive with the capabilities that need them (see docs/decisions/0001-architecture.md).
import { runWorker } from "../_runtime/worker";

await runWorker({ name: "artifact-compiler", consumers: [] });
