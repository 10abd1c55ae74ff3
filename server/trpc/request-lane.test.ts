// Which requests run on which connections: pause and resume alone on the kill-switch's, reads
// (GET) on their own, everything else (commands, batches that mix) on the shared pool.
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
      expect(requestLane("POST", path), path).toBe("control");
    }
  });

  it("sends reads to the read lane, whatever they read", () => {
    for (const path of [
      "/api/trpc/dashboard.overview,dashboard.series",
      "/api/v1/ventures",
      "/api/v1/control",
    ]) {
      expect(requestLane("GET", path), path).toBe("read");
    }
    expect(requestLane("HEAD", "/api/v1/ventures")).toBe("read");
  });

  it("shares the pool for every other command, batches with other calls included", () => {
    for (const path of [
      "/api/trpc/control.getState",
      "/api/trpc/control.pause,ventures.create",
      "/api/trpc/control.pauseX",
      "/api/v1/control/pause/extra",
      "/api/trpc/control.pause/x",
      "/api/v1/ventures",
      "/api/trpc/control.pause%E0%A4%A",
      "/",
    ]) {
      expect(requestLane("POST", path), path).toBe("shared");
    }
  });
});
