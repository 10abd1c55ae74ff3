// notifier: in-app notifications and outgoing webhooks (CTRL-006, ADR 0014). Its own process, so a
// slow or failing webhook receiver never shares an event loop with dispatch, and so it can keep
// telling people what happens while the kill-switch has stopped everything else.
import { runWorker } from "../_runtime/worker";
import { startNotifier } from "./notifier";

await runWorker({
  name: "notifier",
  consumers: [],
  loops: [(services) => startNotifier(services, { appUrl: services.env.AUTH_URL })],
});
