// Which requests run on the kill-switch's own connections: pause and resume alone, by tRPC or the
// HTTP API; a batch that calls anything else, and every other path, shares the pool.
import { describe, expect, it } from "vitest";
import { requestLane } from "./request-lane";

describe("requestLane", () => {
  it("sends pause and resume alone to the control lane", () => {
    for (const path of [
      "/api/trpc/control.pause",
      "/api/trpc/control.resume",
      "/api/trpc/control.pause,control.resume",
      "/api/v1/control/pause",
      "/api/v1/control/resume/",
    ]) {
      expect(requestLane(path), path).toBe("control");
    }
  });

  it("shares the pool for everything else, batches with other calls included", () => {
    for (const path of [
      "/api/trpc/control.getState",
      "/api/trpc/control.pause,ventures.list",
      "/api/trpc/control.pauseX",
      "/api/v1/control",
      "/api/v1/control/pause/extra",
      "/api/trpc/control.pause/x",
      "/api/v1/ventures",
      "/api/trpc/control.pause%E0%A4%A",
      "/",
    ]) {
      expect(requestLane(path), path).toBe("shared");
    }
  });
});
