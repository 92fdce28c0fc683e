// Two projects: fast unit tests of pure rules (*.test.ts), and integration tests (*.int.test.ts) that run
// against one real two-zone platform started once for the whole run. Destructive tests that kill parts of
// a platform (*.destructive.test.ts) start their own and run in their own phase: `npm run test:destructive`.
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: [
        '<rootDir>/services/**/*.test.ts',
        '<rootDir>/charts/**/*.test.ts',
        '<rootDir>/loadtest/**/*.test.ts',
      ],
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$', '\\.destructive\\.test\\.ts$', '/node_modules/', '/dist/'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/services/**/*.int.test.ts', '<rootDir>/loadtest/**/*.int.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
      globalSetup: '<rootDir>/services/platform/test/globalSetup.ts',
      globalTeardown: '<rootDir>/services/platform/test/globalTeardown.ts',
    },
    {
      // Each file starts its own platform and breaks it; files run one at a time (`--runInBand` in the script).
      displayName: 'destructive',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/services/**/*.destructive.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    },
  ],
  testTimeout: 60000,
};
