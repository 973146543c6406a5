// Tests by kind (see ../shared/STYLE.md §9): *.spec.ts pure units, *.int-spec.ts against a real
// store, *.e2e-spec.ts over HTTP. Type checking is done once by `npm run typecheck`; jest only
// transpiles (swc) so the suite stays fast on a 2-core machine.
const { compilerOptions } = require('./tsconfig.json');

const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  const from = '^' + alias.replace('/*', '/(.*)') + '$';
  moduleNameMapper[from] = '<rootDir>/' + target.replace('/*', '/$1');
}

const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    },
  ],
};

const common = { transform, moduleNameMapper, testEnvironment: 'node', roots: ['<rootDir>'] , modulePathIgnorePatterns: ['<rootDir>/dist/']};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['**/*.int-spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['**/*.e2e-spec.ts'] },
  ],
};
