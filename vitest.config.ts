import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // e2e files each start their own anvil and nodes; two cores, so two files at a time.
    maxWorkers: 2,
    pool: 'forks',
  },
})
