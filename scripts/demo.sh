#!/usr/bin/env bash
# The main job (npm run demo): sets up, then runs the research loop on a copy of examples/tiny-gpt
# in .demo/tiny-gpt (its own git repo, so the run's branches live there). Running it again resumes.
# Extra arguments go to `bilevel run`, e.g. npm run demo -- --iterations 30 --proposer llm
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build --silent
target=.demo/tiny-gpt
if [ ! -d "$target/.git" ]; then
  mkdir -p .demo
  cp -r examples/tiny-gpt "$target"
  git -C "$target" init -q -b main
  # init ends with the user's next steps (review, commit, run): here this script takes them.
  node dist/cli.js -C "$target" init | sed '/^Review it, commit it/d'
  echo "demo: committing the config with tiny-gpt as the baseline, then running the loop"
  # A strategy review every 3 iterations, so that 10 iterations show every level (defaults: 5 and 2).
  node -e 'const f=process.argv[1],fs=require("fs"),c=JSON.parse(fs.readFileSync(f));c.levels={strategy:{every:3},mechanisms:{every:2}};fs.writeFileSync(f,JSON.stringify(c,null,2)+"\n")' "$target/autoresearch.config.json"
  git -C "$target" add -A
  git -C "$target" -c user.name=demo -c user.email=demo@localhost commit -q -m "tiny-gpt baseline"
fi
# The run ends with its summary (best configuration, how to take it home); `status` would print it again.
node dist/cli.js -C "$target" run --iterations "${ITERATIONS:-10}" "$@"
echo "demo: more with node dist/cli.js -C $target status, or finalize (takes the best home)"
