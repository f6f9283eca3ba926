import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts', 'dashboard/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One Chromium for all the dashboard browser test files, started on first use.
    globalSetup: ['test/support/chromium-server.ts'],
    // Two cores: e2e files start servers and load generators; keep parallelism modest.
    maxWorkers: 2,
  },
});
