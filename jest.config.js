/**
 * Jest runs the TypeScript sources directly through ts-jest. Packages published only as
 * ES modules (Node 20 requires them natively; jest's CommonJS runtime cannot) are
 * compiled to CommonJS by the same transformer: listed in ESM_ONLY.
 */
const ESM_ONLY = ['content-disposition', '@apidevtools/json-schema-ref-parser'];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': 'ts-jest',
    '^.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, checkJs: false } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  testTimeout: 30000,
};
