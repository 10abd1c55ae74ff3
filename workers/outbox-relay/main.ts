// outbox-relay: committed outbox rows → JetStream.
import { runWorker } from "../_runtime/worker";
import { startOutboxRelay } from "./relay";

await runWorker({ name: "outbox-relay", consumers: [], loops: [(services) => startOutboxRelay(services)] });
