// Pause everything (CTRL-003): dispatch stops, in-flight work is terminated by each worker's gate,
// and every assertNotPaused() refuses from the moment this commits.
import { type ControlChangeOptions, type ControlChangeResult, changeControlState } from "./change-state";
import { decidePause } from "./control-state";

/**
 * Records control.paused and projects it, then announces it on NATS and Redis. Pausing what is
 * paused changes nothing (changed: false). Authorization is the caller's: founder or admin.
 */
export function pause(options: ControlChangeOptions): Promise<ControlChangeResult> {
  return changeControlState(options, decidePause);
}
