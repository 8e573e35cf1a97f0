#!/usr/bin/env bash
# Proof that the tests hold on a busy machine: runs the README's test command RUNS times in a row
# (default 2) while one CPU hog per core (`node -e "for(;;);"`) keeps every core busy. The hogs are
# started here and stopped here, whatever happens. Prints each run's time and exit status; exits
# non-zero when any run failed.
#   bash scripts/test-under-load.sh [RUNS]
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-2}"
hogs=()
stop_hogs() { for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null; done; }
trap stop_hogs EXIT
for _ in $(seq "$(nproc)"); do
  node -e 'for(;;);' &
  hogs+=($!)
done
mkdir -p test-artifacts
echo "load: ${#hogs[@]} CPU hogs (pids ${hogs[*]}) on $(nproc) cores"
failed=0
for run in $(seq "$runs"); do
  start=$(date +%s)
  npm test > "test-artifacts/under-load-$run.log" 2>&1
  status=$?
  # vitest colours its summary; strip the escapes before looking for it.
  summary=$(sed 's/\x1b\[[0-9;]*m//g' "test-artifacts/under-load-$run.log" | grep -E '^ *(Test Files|Tests) ' | tr -s ' ' | tr '\n' ';')
  echo "run $run: exit $status in $(( $(date +%s) - start )) s; ${summary}"
  ((status == 0)) || failed=1
done
exit $failed
