// Where the kill-switch sits in every consumer. A consumer asks the gate before it fetches and
// before it starts a handler; a closed gate stops fetching, and what was already fetched is kept
// (its ack deadline extended) and started once the gate opens, never counted as a delivery.
// The control context provides the real gate (fan-out + lease, fail-closed); this default is
// what a worker uses until one is wired in.

export interface DispatchGate {
  /** True when work may start. Must be cheap: it is asked for every message. */
  isOpen(): boolean;
  /** Resolves when the gate opens (or at once if it is open); rejects when signal aborts. */
  waitOpen(signal: AbortSignal): Promise<void>;
}

export const alwaysOpenGate: DispatchGate = {
  isOpen: () => true,
  waitOpen: async () => {},
};
