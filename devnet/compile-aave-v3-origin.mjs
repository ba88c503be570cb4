// Compiles the Aave v3.6 market contracts from the Solidity sources of the pinned npm package
// @aave-dao/aave-v3-origin with the pinned solc-js, using the settings of the package's
// foundry.toml (optimizer on, 200 runs, evm shanghai, no metadata hash, no via-IR).
//
// Output: node_modules/.mev-devnet/aave-v3-origin/<source path>/<Contract>.json, each holding
// solc's `abi` and `evm.bytecode` (object and linkReferences), which mev-devnet's artifact reader
// takes like any other artifact. A stamp holds the hash of the compiler version, the settings and
// every source file read; a second run with the same inputs compiles nothing.
//
// Run by scripts/devnet-setup; `node compile-aave-v3-origin.mjs` from devnet/ by hand.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, 'node_modules');
const require = createRequire(import.meta.url);
const solc = require('solc');

const AAVE = join(modules, '@aave-dao/aave-v3-origin/src/contracts');
const OUT = join(modules, '.mev-devnet/aave-v3-origin');
const STAMP = join(OUT, '.inputs-sha256');

// What a devnet market needs; libraries come with the contracts that link them.
const TARGETS = [
  'protocol/configuration/PoolAddressesProvider.sol',
  'protocol/configuration/ACLManager.sol',
  'instances/PoolInstance.sol',
  'instances/PoolConfiguratorInstance.sol',
  'instances/ATokenInstance.sol',
  'instances/VariableDebtTokenInstance.sol',
  'misc/DefaultReserveInterestRateStrategyV2.sol',
  'misc/AaveOracle.sol',
  'helpers/AaveProtocolDataProvider.sol',
  'mocks/oracle/CLAggregators/MockAggregator.sol',
  'mocks/tokens/MintableERC20.sol',
];

// remappings.txt of the package, resolved to the npm packages that carry the same code.
const REMAPPINGS = [
  ['openzeppelin-contracts/contracts/', join(modules, '@openzeppelin/contracts/')],
  ['solidity-utils/', join(modules, '@bgd-labs/solidity-utils/src/')],
];

const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'shanghai',
  metadata: { bytecodeHash: 'none' },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.bytecode.linkReferences'] } },
};

// A source unit's name in the compiler is its path relative to the Aave contracts folder, or its
// remapped import name; both resolve to one file on disk.
function resolve(name) {
  for (const [prefix, target] of REMAPPINGS) {
    if (name.startsWith(prefix)) return join(target, name.slice(prefix.length));
  }
  return join(AAVE, name);
}

// Every source reachable from the targets, by the same import rules the compiler follows.
function collectSources() {
  const sources = {};
  const pending = [...TARGETS];
  while (pending.length) {
    const name = pending.pop();
    if (sources[name]) continue;
    const path = resolve(name);
    if (!existsSync(path)) throw new Error(`${name}: not found at ${path}`);
    const content = readFileSync(path, 'utf8');
    sources[name] = { content };
    for (const m of content.matchAll(/^\s*import\s+(?:[^'"]*from\s+)?['"]([^'"]+)['"]/gm)) {
      const spec = m[1];
      const unit = spec.startsWith('.') ? join(dirname(name), spec) : spec;
      pending.push(unit.split('\\').join('/'));
    }
  }
  return sources;
}

const sources = collectSources();
const hash = createHash('sha256');
hash.update(solc.version());
hash.update(JSON.stringify(SETTINGS));
for (const name of Object.keys(sources).sort()) {
  hash.update(name);
  hash.update(sources[name].content);
}
const want = hash.digest('hex');
if (existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === want) {
  console.log(`aave-v3-origin: artifacts up to date (${Object.keys(sources).length} sources)`);
  process.exit(0);
}

const started = Date.now();
const input = { language: 'Solidity', sources, settings: SETTINGS };
const output = JSON.parse(
  solc.compile(JSON.stringify(input), {
    import: (name) => ({ error: `import ${name} was not collected` }),
  }),
);
const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
rmSync(OUT, { recursive: true, force: true });
let count = 0;
for (const [unit, contracts] of Object.entries(output.contracts ?? {})) {
  for (const [contract, out] of Object.entries(contracts)) {
    if (!out.evm?.bytecode?.object) continue; // interfaces and abstract contracts
    const dir = join(OUT, unit);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${contract}.json`), JSON.stringify({ contractName: contract, abi: out.abi, evm: out.evm }));
    count += 1;
  }
}
writeFileSync(STAMP, `${want}\n`);
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`aave-v3-origin: compiled ${count} contracts from ${Object.keys(sources).length} sources with solc ${solc.version()} in ${seconds} s`);
