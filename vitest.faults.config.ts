// `npm run test:faults` (issue 8, ADR 0015): the fault suite, test/faults/*.faults.test.ts. Each file
// starts PostgreSQL, NATS and Redis of its own on free ports and runs the real worker processes
// against them, so the files run one at a time: two cores cannot run two portfolios plus their faults.
import path from "node:path";
import { defineConfig } from "vitest/config";

const alias = { "@": path.resolve(import.meta.dirname) };

export default defineConfig({
  resolve: { alias },
  test: {
    name: "faults",
    include: ["test/faults/**/*.faults.test.ts"],
    fileParallelism: false,
    // Generous: a machine shared with other work runs the suite several times slower than its
    // ~2.5 minutes alone, and a timeout here would hide the summary that says what was slow.
    testTimeout: 480_000,
    hookTimeout: 120_000,
  },
});
