#!/usr/bin/env bash
# What `npm test` needs beyond `npm ci`, set up before anything runs (npm's `pretest`):
#   - Debian's chromium (/usr/bin/chromium) for the dashboard's end-to-end tests,
#   - redis-server (a Redis on 127.0.0.1:6379, and private ones that the fault tests kill),
#   - PostgreSQL on 127.0.0.1:5432 with a superuser role for whoever runs the tests,
#   - Debian's docker-compose, which validates docker-compose.yml without a Docker engine,
#   - Debian's python3 with requests, which runs the DeepStack client test (test/deepstack.test.ts)
#     as Home Assistant's client library does,
#   - the real models in ../shared/models (or ARGUS_MODELS_DIR).
# ffmpeg is not installed: the packaged one (npm) works, and a system one is preferred when present.
# As root with apt-get, missing packages are installed and stopped services started. Otherwise it
# stops at once with one message: what is missing and the command that installs it. It never lets
# a test be skipped for a missing dependency.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
models="${ARGUS_MODELS_DIR:-../shared/models}"
me=$(id -un)
can_install=false
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then can_install=true; fi

problems=()
# Debian packages the tests need, by the command that shows each is there.
missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || missing+=(redis-server)
command -v pg_ctlcluster >/dev/null && command -v psql >/dev/null || missing+=(postgresql)
command -v docker-compose >/dev/null || missing+=(docker-compose)
/usr/bin/python3 -c 'import requests' >/dev/null 2>&1 || missing+=(python3-requests)

if ((${#missing[@]})); then
  if ! $can_install; then
    problems+=("missing Debian packages: ${missing[*]} — install them with: sudo apt-get install -y ${missing[*]}")
  else
    echo "test setup: installing ${missing[*]}"
    apt-get update -q
    apt-get install -y -q "${missing[@]}"
  fi
fi

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; }
pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

# Redis on 127.0.0.1:6379 (the tests start private ones too, for the restart tests).
if command -v redis-server >/dev/null && ! redis_up; then
  if $can_install; then
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/argus-tests.log
    for _ in $(seq 50); do redis_up && break; sleep 0.1; done
  fi
  redis_up || problems+=("Redis is not answering on 127.0.0.1:6379 — start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''")
fi

# PostgreSQL on 127.0.0.1:5432, with a superuser role for the user running the tests.
if command -v pg_ctlcluster >/dev/null; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  if ! pg_up && $can_install && [[ -n $version ]]; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 50); do pg_up && break; sleep 0.2; done
  fi
  if ! pg_up; then
    problems+=("PostgreSQL is not running on 127.0.0.1:5432 — start it with: sudo pg_ctlcluster --skip-systemctl-redirect ${version:-15} main start")
  elif ! psql -h 127.0.0.1 -U "$me" -d postgres -tAc 'select 1' >/dev/null 2>&1 \
    && ! psql -d postgres -tAc 'select 1' >/dev/null 2>&1; then
    if $can_install; then
      su postgres -c "psql -tAc \"CREATE ROLE \\\"$me\\\" SUPERUSER LOGIN\"" >/dev/null
    else
      problems+=("PostgreSQL has no role for $me — create it with: sudo -u postgres psql -c 'CREATE ROLE \"$me\" SUPERUSER LOGIN'")
    fi
  fi
fi

[[ -f $models/detect/yolov8n_int8.onnx ]] ||
  problems+=("the real models are not in $models (detect/yolov8n_int8.onnx) — put ../shared beside the checkout or set ARGUS_MODELS_DIR (see ../shared/README.md)")

if ((${#problems[@]})); then
  {
    echo "npm test cannot run on this machine yet; nothing was run. Missing:"
    printf '  - %s\n' "${problems[@]}"
    $can_install || echo "(as root with apt-get, npm test installs and starts these itself)"
  } >&2
  exit 1
fi
echo "test setup: chromium, docker-compose, redis-server (127.0.0.1:6379), PostgreSQL (127.0.0.1:5432, role $me) and the models in $models are ready"
