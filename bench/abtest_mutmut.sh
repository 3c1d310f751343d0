#!/usr/bin/env bash
# Mutation testing of the A/B statistics, each module against its own tests (not in CI: it
# takes tens of minutes). Runs mutmut 3.8.1 in a scratch copy of the repository and prints each
# module's kill rate. Usage: bench/abtest_mutmut.sh [stats|evaluate|sizing ...]
# MUTMUT (default: mutmut on PATH) names the mutmut to run, e.g. a venv with
# `pip install mutmut==3.8.1` and this project installed (`pip install -e '.[dev]'`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mutmut=${MUTMUT:-mutmut}
modules=("$@")
[ ${#modules[@]} -gt 0 ] || modules=(stats evaluate sizing)

tests_for() {
  case "$1" in
    stats) echo '"tests/abtest/test_stats.py", "tests/abtest/test_decisions.py"' ;;
    evaluate) echo '"tests/abtest/test_evaluate.py", "tests/abtest/test_decisions.py", "tests/abtest/test_per_post_error_rates.py", "tests/abtest/test_evaluator_error_rates.py"' ;;
    sizing) echo '"tests/abtest/test_decisions.py", "tests/abtest/test_stats.py"' ;;
    *) echo "unknown module $1 (stats, evaluate, sizing)" >&2; exit 2 ;;
  esac
}

for module in "${modules[@]}"; do
  selection=$(tests_for "$module")
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$root" && git ls-files -z | xargs -0 cp --parents -t "$work")
  cat >> "$work/pyproject.toml" <<TOML

[tool.mutmut]
source_paths = ["services/abtest/$module.py"]
also_copy = ["services", "shared", "tests", "bench"]
pytest_add_cli_args = ["-p", "no:randomly", "-q", "-x"]
pytest_add_cli_args_test_selection = [$selection]
TOML
  echo "== services/abtest/$module.py against: $selection"
  (cd "$work" && TEST_BACKENDS=sqlite "$mutmut" run --max-children "${JOBS:-2}" >/dev/null 2>&1 || true
   cd "$work" && "$mutmut" results --all true > results.txt 2>&1 || true
   total=$(grep -c ': ' results.txt || true)
   killed=$(grep -c ': killed' results.txt || true)
   survived=$(grep -c ': survived' results.txt || true)
   echo "   $killed of $total mutants killed, $survived survived"
   grep ': survived' results.txt | sed -n 's/^/   /; 1,60p')
  rm -rf "$work"
  trap - EXIT
done
