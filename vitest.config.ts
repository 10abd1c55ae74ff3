import path from "node:path";
import { defineConfig } from "vitest/config";

const alias = { "@": path.resolve(import.meta.dirname) };

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          // Unit tests first, then integration tests (which use the real services, two files at a time).
          sequence: { groupOrder: 0 },
          include: ["**/*.test.ts"],
          // The fault suite runs on its own: `npm run test:faults` (vitest.faults.config.ts).
          exclude: [
            "**/*.int.test.ts",
            "**/*.faults.test.ts",
            "node_modules/**",
            "e2e/**",
            ".next/**",
            ".scratch/**",
          ],
        },
      },
      {
        resolve: { alias },
        test: {
          name: "int",
          sequence: { groupOrder: 1 },
          include: ["**/*.int.test.ts"],
          exclude: ["node_modules/**", ".next/**", ".scratch/**"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Two cores: two files at a time, each with its own database and namespace.
          maxWorkers: 2,
          // Files share a worker's modules rather than importing everything again (Prisma's client,
          // Cedar's wasm: ~2 s a file, ~100 s of the gate). Safe because every file opens and
          // closes its own services (test/services.ts) and no integration test mocks modules.
          isolate: false,
        },
      },
    ],
  },
});
