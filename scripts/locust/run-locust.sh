#!/usr/bin/env bash
# Runs the drone/CCTV service's Locust test (locustfile.py beside this script) against Argus, as
# the original's scripts/run_locust did: every argument goes to locust. Without arguments it opens
# Locust's web UI (http://localhost:8089), as the original did.
#
#   scripts/locust/run-locust.sh                                   # web UI
#   scripts/locust/run-locust.sh --headless -u 10 -r 1 -t 3m --tags sync
#
# LOCUST_HOST (default http://127.0.0.1:8000) and LOCUST_DATASET_DIR (default
# ../shared/datasets/coco128/images) choose the server and the images.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

export LOCUST_DATASET_DIR="${LOCUST_DATASET_DIR:-$(realpath "$REPO_ROOT/../shared/datasets/coco128/images")}"

# Debian's python3-locust installs /usr/bin/locust; a virtualenv's locust works as well.
exec locust -f "$SCRIPT_DIR/locustfile.py" "$@"
