#!/usr/bin/env bash
# Consumer tier: Riffle as a user installs it. Builds and packs the package, installs the tarball into a fresh
# project ({"type":"module"}, TypeScript strict + exactOptionalPropertyTypes + noUncheckedIndexedAccess, NodeNext, no
# skipLibCheck; dependencies from the npm cache when there), compiles a pipeline and a DAG written against
# 'riffle' and 'riffle/orchestrator' with tsc and runs them with node (no tsx), runs the installed CLI on them
# (`riffle --help`, `riffle run`, `riffle dag list|test`, a .ts pipeline through the CLI), then the package tests
# against the fresh build. About 1-2 minutes (the build's type check is most of it).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
echo "== consumer: build, pack, install into a fresh strict TypeScript project"

pass=0
fail=0
# check NAME COMMAND...: runs the command, counts it, shows its output when it fails.
check() {
  local name=$1
  shift
  local out
  if out=$("$@" 2>&1); then
    pass=$((pass + 1))
    echo "  ok   $name"
  else
    fail=$((fail + 1))
    echo "  FAIL $name"
    echo "$out" | sed 's/^/       /' | tail -40
  fi
}
finish() {
  echo "ℹ pass $pass"
  echo "ℹ fail $fail"
  [ "$fail" -eq 0 ]
  exit $?
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/riffle-consumer-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if ! npm run --silent build; then
  fail=$((fail + 1))
  echo "  FAIL npm run build"
  finish
fi
pass=$((pass + 1))

# The build just ran: pack what it made (prepack would build again).
TARBALL=$(npm pack --ignore-scripts --silent --pack-destination "$WORK")
TARBALL="$WORK/$TARBALL"
check "npm pack made a tarball" test -s "$TARBALL"
FILES=$(tar -tzf "$TARBALL")
echo "  tarball: $(basename "$TARBALL"), $(du -k "$TARBALL" | cut -f1) KiB, $(echo "$FILES" | wc -l) files"
check "the tarball holds no tests, sources, benchmarks or CI" bash -c '! grep -E "\.test\.|^package/(src|test|bench|examples|scripts|\.ci)/|tsbuildinfo|bundle-meta" <<<"$1"' _ "$FILES"
check "the tarball holds the bundle, the declarations and the bin" bash -c 'for f in package/dist/bundle/index.js package/dist/bundle/cli.js package/dist/index.d.ts package/dist/orchestrator/index.d.ts package/bin/riffle.js; do grep -qx "$f" <<<"$1" || { echo "missing $f"; exit 1; }; done' _ "$FILES"

APP="$WORK/app"
mkdir -p "$APP/src/dags"
cd "$APP"
cat > package.json <<'EOF'
{ "name": "riffle-consumer", "private": true, "type": "module" }
EOF
cat > tsconfig.json <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "exactOptionalPropertyTypes": true,
    "noUncheckedIndexedAccess": true,
    "rootDir": "src",
    "outDir": "out"
  },
  "include": ["src"]
}
EOF
TS_VERSION=$(node -p "require('$ROOT/node_modules/typescript/package.json').version")
NODE_TYPES_VERSION=$(node -p "require('$ROOT/node_modules/@types/node/package.json').version")
check "npm install of the tarball (+ typescript, @types/node)" \
  npm install --prefer-offline --no-audit --no-fund --loglevel=error "$TARBALL" "typescript@$TS_VERSION" "@types/node@$NODE_TYPES_VERSION"

# A pipeline module (for `riffle run`), a script that runs one with node, and a DAG running the pipeline.
cat > src/sum.ts <<'EOF'
import { combine, create, Pipeline, type PCollection } from 'riffle';

export default Pipeline.define({ params: { n: { type: 'integer', default: 4 } } }, (p, { n }) => {
  const values: number[] = Array.from({ length: n }, (_, i) => i + 1);
  const total: PCollection<number> = p.apply(create(values)).apply(combine.globally(combine.sum()));
  total.map((t) => {
    console.log(`total=${t}`);
    return t;
  });
});
EOF
cat > src/main.ts <<'EOF'
import { combine, create, Pipeline } from 'riffle';

const p = Pipeline.create();
const seen: number[] = [];
p.apply(create([1, 2, 3])).apply(combine.globally(combine.sum())).map((t) => { seen.push(t); return t; });
const result = await p.run();
const first = seen[0];
if (result.state !== 'DONE' || first !== 6) throw new Error(`expected DONE and 6, got ${result.state} and ${String(first)}`);
console.log(`main: ${result.state} ${first}`);
EOF
cat > src/dags/nightly.ts <<'EOF'
import { dag, pipeline } from 'riffle/orchestrator';

export const nightly = dag({ id: 'consumer-nightly', schedule: '@daily', startDate: '2024-01-01', params: { n: 3 } });
const count = nightly.task('count', ({ params }) => Number(params.n) * 2);
nightly.task('report', { inputs: { count } }, ({ inputs, log }) => {
  log(`count is ${inputs.count}`);
  return inputs.count;
});
nightly.task('sum', pipeline({ module: 'out/sum.js', params: { n: 5 } }));
EOF

cat > src/subpaths.ts <<'EOF'
import { DeltaTable } from 'riffle/lakehouse';
import { expect, suite } from 'riffle/quality';
import { write as writeDelta } from 'riffle/io/delta';
import { readJsonl } from 'riffle/io/files';
import { dag } from 'riffle/orchestrator';
import { io } from 'riffle';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'riffle-consumer-'));
const table = await DeltaTable.create(join(dir, 't'), { schema: { id: 'long' } });
await table.append([{ id: 1n }, { id: 2n }]);
const s = suite('ids', [expect.columnValuesToNotBeNull('id')]);
if (typeof writeDelta !== 'function' || typeof readJsonl !== 'function' || typeof dag !== 'function' || io.delta.write !== writeDelta) {
  throw new Error('a subpath export is missing');
}
console.log(`subpaths: version ${(await table.snapshot()).version}, ${s.expectations.length} expectation`);
EOF

check "tsc (strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess, NodeNext, no skipLibCheck)" npx --no-install tsc -p .
check "the compiled script runs with node (no tsx)" node out/main.js
check "the subpaths (riffle/lakehouse, quality, orchestrator, io/delta, io/files) compile and run" node out/subpaths.js
check "the compiled script loads no tsx" bash -c "RIFFLE_MODULE_LOG='$WORK/mods.log' node --import '$ROOT/test/package/module-recorder.mjs' out/main.js >/dev/null && grep -q '/dist/bundle/index.js' '$WORK/mods.log' && ! grep -q '/node_modules/tsx/' '$WORK/mods.log'"
check "riffle --help" bash -c 'node_modules/.bin/riffle --help | grep -qi usage'
check "riffle run of the compiled pipeline" bash -c 'node_modules/.bin/riffle run out/sum.js --n=5 2>&1 | grep -q "total=15"'
check "riffle run of the TypeScript pipeline (tsx, registered for it)" bash -c 'node_modules/.bin/riffle run src/sum.ts --n=6 2>&1 | grep -q "total=21"'
check "riffle --help and riffle run of a .js pipeline load no tsx" bash -c "
  for args in '--help' 'run out/sum.js'; do
    rm -f '$WORK/cli.log'
    RIFFLE_MODULE_LOG='$WORK/cli.log' node --import '$ROOT/test/package/module-recorder.mjs' node_modules/riffle/bin/riffle.js \$args >/dev/null 2>&1 || exit 1
    grep -q '/dist/bundle/cli.js' '$WORK/cli.log' || { echo 'the module log did not record the CLI'; exit 1; }
    if grep -q '/node_modules/tsx/' '$WORK/cli.log'; then echo \"riffle \$args loaded tsx\"; exit 1; fi
  done"
check "riffle dag list of the compiled DAG" bash -c 'node_modules/.bin/riffle dag list --dags out/dags | grep -q consumer-nightly'
check "riffle dag test of the compiled DAG (a pipeline task included)" bash -c 'node_modules/.bin/riffle dag test consumer-nightly 2024-01-02 --dags out/dags'

# The package tests, now with an up-to-date dist/ (the light root import, compiled; another copy of Riffle).
cd "$ROOT"
echo "== package tests against the fresh build"
node scripts/run-tests.mjs test/package/light-import.test.ts test/package/cross-copy.test.ts
tests=$?
echo "== consumer checks"
[ "$tests" -eq 0 ] || echo "  (the package tests failed: see above)"
[ "$tests" -eq 0 ] && finish
echo "ℹ pass $pass"
echo "ℹ fail $fail"
exit 1
