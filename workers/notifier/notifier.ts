// The notifier (CTRL-006, docs/decisions/0014): one durable consumer per notifying event type
// records in-app notifications and enqueues webhook deliveries in the harness's transaction; a
// sender loop delivers them, signed, with retries and backoff.
//
// Deliberately NOT behind the kill-switch gate: notifications are how people learn that everything
// was paused (and resumed), so they must flow while paused. They start no work, move no money and
// call no tools; the only thing they send out is the message, to the endpoints an admin registered.
import {
  type ClaimedDelivery,
  claimDueDeliveries,
  type DeliveryPolicy,
  defaultDeliveryPolicy,
  notifyingEventTypes,
  recordAttempt,
  recordNotifications,
  sealLegacyWebhookEndpoints,
  sendDelivery,
} from "@/server/contexts/notifications/api";
import type { Db } from "@/server/shared/db";
import type { Logger } from "@/server/shared/logger";
import type { NatsConnection, natsNames } from "@/server/shared/nats";
import { type ConsumerSpec, type RunningConsumer, startConsumer } from "../_runtime/consumer";
import type { Stoppable } from "../_runtime/worker";

export type NotifierOptions = {
  /** Base of the links in webhook bodies (AUTH_URL). */
  appUrl: string;
  maxAttempts?: number;
  delivery?: Partial<DeliveryPolicy>;
  /** Deliveries in flight at once in this process. */
  concurrency?: number;
  /** How often due deliveries are looked for (retries come due without an event to wake us). */
  pollMs?: number;
};

export type Notifier = Stoppable & {
  stats: Record<string, number>;
  /** Look for due deliveries now (called after an event enqueued some). */
  wake(): void;
};

type Services = { db: Db; nc: NatsConnection; names: ReturnType<typeof natsNames>; log: Logger };

export async function startNotifier(services: Services, options: NotifierOptions): Promise<Notifier> {
  const policy: DeliveryPolicy = { ...defaultDeliveryPolicy, ...options.delivery };
  const concurrency = options.concurrency ?? 8;
  const pollMs = options.pollMs ?? 500;
  // A claim outlives the request's timeout, so a slow answer is never taken over while it runs.
  const leaseMs = policy.timeoutMs + 5_000;
  const log = services.log.child({ component: "notifier" });
  // Endpoints registered before URLs and secrets were sealed at rest: sealed now, once.
  const sealed = await sealLegacyWebhookEndpoints(services.db);
  if (sealed > 0) log.info({ sealed }, "sealed webhook endpoints stored in clear");
  const stats = { notified: 0, enqueued: 0, delivered: 0, retried: 0, failedDeliveries: 0, leaseLost: 0 };
  const inFlight = new Map<string, Promise<void>>();
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let ticking: Promise<void> | null = null;
  let again = false;

  const deliver = async (delivery: ClaimedDelivery) => {
    const result = await sendDelivery(delivery, policy);
    const outcome = await recordAttempt(services.db, delivery, result, policy);
    if (outcome === "succeeded") stats.delivered++;
    else if (outcome === "retrying") stats.retried++;
    else if (outcome === "failed") stats.failedDeliveries++;
    else stats.leaseLost++;
    if (outcome !== "succeeded") {
      log.warn(
        {
          deliveryId: delivery.id,
          endpointId: delivery.endpointId,
          attempt: delivery.attempt,
          outcome,
          error: result.error,
        },
        "webhook delivery attempt failed",
      );
    }
  };

  const tick = async () => {
    do {
      again = false;
      const busy = [...inFlight.keys()];
      const claimed = await claimDueDeliveries(services.db, {
        limit: concurrency - inFlight.size,
        busyEndpointIds: busy,
        leaseMs,
      });
      for (const delivery of claimed) {
        const running = deliver(delivery)
          .catch((error) =>
            log.error({ err: String(error), deliveryId: delivery.id }, "webhook delivery crashed"),
          )
          .finally(() => {
            inFlight.delete(delivery.endpointId);
            // A slot and an endpoint became free: look again at once rather than at the next poll.
            if (!stopped) wake();
          });
        inFlight.set(delivery.endpointId, running);
      }
    } while (again && !stopped && inFlight.size < concurrency);
  };

  const wake = () => {
    if (stopped) return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = tick()
      .catch((error) => log.warn({ err: String(error) }, "webhook claim failed; retrying at the next poll"))
      .finally(() => {
        ticking = null;
      });
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      wake();
      schedule();
    }, pollMs);
  };
  schedule();

  const consumers: RunningConsumer[] = [];
  for (const type of notifyingEventTypes) {
    const spec: ConsumerSpec = {
      name: `notify-${type.replace(/\./g, "-")}`,
      eventTypes: [type],
      concurrency: 2,
      async handle(event, ctx) {
        const recorded = await recordNotifications(ctx.tx, event, {
          appUrl: options.appUrl,
          ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
        });
        stats.notified += recorded.notified;
        stats.enqueued += recorded.deliveries;
        if (recorded.deliveries > 0) ctx.afterCommit(async () => wake());
      },
    };
    // No gate (see the comment at the top): the harness's default gate is always open.
    consumers.push(await startConsumer(services, spec));
  }
  wake();

  return {
    stats,
    wake,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await Promise.allSettled(consumers.map((c) => c.stop()));
      await ticking?.catch(() => {});
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
