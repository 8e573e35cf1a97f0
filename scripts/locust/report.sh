#!/usr/bin/env bash
# The original's load-test report, repeated: each task (sync: POST /v1/analyze, async: POST
# /v1/analyze_async) with 1, 10 and 50 users, spawn rate 1, headless, one after the other against a
# running Argus. Prints one line per run (requests/s, p50/p95/p99 ms, failures) from Locust's CSV.
#
#   RUN_TIME=3m scripts/locust/report.sh            # the original's 3 minutes per run (the default)
#   RUN_TIME=60s USERS="1 10" TAGS=sync scripts/locust/report.sh
#
# CSV files go to $OUT_DIR (default a temporary directory, printed at the end).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_TIME="${RUN_TIME:-3m}"
USERS="${USERS:-1 10 50}"
TAGS="${TAGS:-sync async}"
OUT_DIR="${OUT_DIR:-$(mktemp -d -t argus-locust-XXXXXX)}"
mkdir -p "$OUT_DIR"

printf '%-6s %5s %9s %8s %8s %8s %9s %9s\n' task users requests 'req/s' 'p50 ms' 'p95 ms' 'p99 ms' failures
for tag in $TAGS; do
  for users in $USERS; do
    prefix="$OUT_DIR/$tag-$users"
    "$SCRIPT_DIR/run-locust.sh" --headless --only-summary -u "$users" -r 1 -t "$RUN_TIME" --tags "$tag" \
      --csv "$prefix" >"$prefix.log" 2>&1 || true # locust exits 1 when any request failed; the table says so
    # The "Aggregated" row of the stats CSV: Request Count, Failure Count, 50%, 95%, 99%, Requests/s.
    /usr/bin/env python3 - "$prefix" "$tag" "$users" <<'PY'
import csv, sys
prefix, tag, users = sys.argv[1:4]
try:
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))
except FileNotFoundError:
    print(f"{tag:<6} {users:>5}  no stats: see {prefix}.log")
    sys.exit(0)
row = next(r for r in rows if r["Name"] == "Aggregated")
print(f"{tag:<6} {users:>5} {row['Request Count']:>9} {float(row['Requests/s']):>8.2f} {row['50%']:>8} {row['95%']:>8} {row['99%']:>9} {row['Failure Count']:>9}")
PY
  done
done
echo "CSV and logs: $OUT_DIR"
