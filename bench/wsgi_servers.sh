#!/usr/bin/env bash
# The same WSGI app (server:app) on gunicorn (make serve's gunicorn.conf.py: gthread, 2 workers of 4
# threads) and on Granian (2 workers, 4 blocking threads), serving one store; wrk, 8 connections,
# 8 s per run after a 1 s warm-up, the two servers alternated in each round (BENCHMARKS.md section 11).
# Usage: bench/wsgi_servers.sh STORE [ROUNDS]   (CACHES="67108864 0" by default: with and without the cache)
set -euo pipefail
cd "$(dirname "$0")/.."
STORE=${1:?usage: bench/wsgi_servers.sh STORE [ROUNDS]}
ROUNDS=${2:-2}
BIN=.venv/bin
first() {  # the path of the first answer of a SELECT over the store
  $BIN/python -c "import sys, pyoxigraph as ox; s = ox.Store.read_only(sys.argv[1] + '/current')
print(next(iter(s.query(sys.argv[2])))[0].value.split('/', 3)[3])" "$STORE" "$1"
}
PAPER=/$(first 'SELECT ?s WHERE { ?s a <https://schema.org/ScholarlyArticle> } LIMIT 1')
AUTHOR=/$(first 'SELECT ?s (COUNT(?w) AS ?n) WHERE { ?w <https://schema.org/author> ?s } GROUP BY ?s ORDER BY DESC(?n) LIMIT 1')
echo "paper $PAPER, author $AUTHOR"
for cache in ${CACHES:-67108864 0}; do
  KG_STORE=$STORE KG_CACHE_BYTES=$cache KG_BIND=127.0.0.1:5101 setsid $BIN/gunicorn -c gunicorn.conf.py server:app \
    >/dev/null 2>&1 &
  gunicorn=$!
  KG_STORE=$STORE KG_CACHE_BYTES=$cache setsid $BIN/granian --interface wsgi --workers 2 --blocking-threads 4 \
    --host 127.0.0.1 --port 5102 --no-ws server:app >/dev/null 2>&1 &
  granian=$!
  trap 'kill -- -$gunicorn -$granian 2>/dev/null' EXIT
  sleep 6
  for round in $(seq "$ROUNDS"); do
    for server in gunicorn:5101 granian:5102; do
      for path in "$PAPER" "$AUTHOR"; do
        for accept in text/html text/turtle; do
          url="http://127.0.0.1:${server#*:}$path"
          wrk -t1 -c8 -d1s -H "Accept: $accept" "$url" >/dev/null 2>&1
          out=$(wrk -t1 -c8 -d8s -H "Accept: $accept" "$url" 2>&1)
          echo "cache=$cache round=$round ${server%:*} $path $accept" \
            "$(echo "$out" | awk '/Requests\/sec/ {print $2 " req/s"} /Latency/ {print "mean " $2} /Non-2xx/ {print $NF " non-2xx"}' | paste -sd' ')"
        done
      done
    done
  done
  kill -- -$gunicorn -$granian; trap - EXIT; sleep 4
done
