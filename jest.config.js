// Tests by kind (see ../shared/STYLE.md §9): *.spec.ts pure units, *.int-spec.ts against a real
// store, *.e2e-spec.ts over HTTP. Type checking is done once by `npm run typecheck`; jest only
// transpiles so the suite stays fast on a 2-core machine.
const { compilerOptions } = require('./tsconfig.json');

const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  const from = '^' + alias.replace('/*', '/(.*)') + '$';
  moduleNameMapper[from] = '<rootDir>/' + target.replace('/*', '/$1');
}

// ts-jest in transpile-only mode (isolatedModules): fast, and pure JavaScript — swc's native
// binaries are not all on the registry this project installs from, which breaks `npm ci`.
const transform = {
  '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
};

const common = { transform, moduleNameMapper, testEnvironment: 'node', roots: ['<rootDir>'] , modulePathIgnorePatterns: ['<rootDir>/dist/']};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['**/*.int-spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['**/*.e2e-spec.ts'] },
  ],
};
