// The properties bench's vitest run (bench/properties.bench.ts): the ledger and treasury property
// tests, unchanged, with bench/properties.setup.ts raising every property's number of runs.
import path from "node:path";
import { defineConfig } from "vitest/config";

const root = path.resolve(import.meta.dirname, "..");
const alias = { "@": root };

export const propertyTestFiles = [
  "server/contexts/treasury/ledger/model.test.ts",
  "server/contexts/treasury/ledger/balancing.test.ts",
  "server/contexts/treasury/ledger/holds.test.ts",
  "server/contexts/treasury/ledger/limits.test.ts",
  "server/contexts/treasury/ledger/currency.test.ts",
  "server/contexts/treasury/reports/reports.test.ts",
];

export default defineConfig({
  root,
  resolve: { alias },
  test: {
    name: "properties",
    include: propertyTestFiles,
    setupFiles: [path.join(root, "bench/properties.setup.ts")],
    // Ten thousand runs of a sequence of sixty ledger operations take minutes on a shared machine.
    testTimeout: 3_600_000,
    maxWorkers: 2,
  },
});
