#!/bin/sh
# The README's Docker steps in the order written, on a fresh volume, then a search without a restart.
#
#   bench/docker_smoke.sh                          # docker build options may follow, e.g.
#   bench/docker_smoke.sh --build-arg BASE=local/python:3.11 --build-arg TORCH_SOURCE="--index-url URL"
#
# Uses its own container name, volume and port (GOVSEARCH_SMOKE_PORT, default 18000) and removes them after.
set -eu
name=govsearch-smoke-$$
volume=govsearch-smoke-$$
port=${GOVSEARCH_SMOKE_PORT:-18000}
url=http://127.0.0.1:$port
seconds() { echo $(($(date +%s) - $1)); }

started=$(date +%s)
docker build -t govsearch "$@" .
echo "built in $(seconds "$started") s"

docker run -d --name "$name" -p "127.0.0.1:$port:8000" -v "$volume:/data/index" govsearch
trap 'docker rm -f "$name" >/dev/null; docker volume rm "$volume" >/dev/null' EXIT
started=$(date +%s)
until curl -fs "$url/healthz" >/dev/null; do
    [ "$(seconds "$started")" -lt 60 ] || { echo "no /healthz answer after 60 s" >&2; exit 1; }
    sleep 1
done
echo "/healthz answered $(seconds "$started") s after start; /readyz before indexing: $(curl -s "$url/readyz")"

started=$(date +%s)
docker run --rm -v "$volume:/data/index" -v "$PWD/examples/reports:/reports:ro" govsearch govsearch index /reports
echo "indexed in $(seconds "$started") s"

started=$(date +%s)
until answer=$(curl -fsG "$url/search" --data-urlencode q=招商引资 -d k=3); do
    [ "$(seconds "$started")" -lt 60 ] || { echo "no search answer 60 s after indexing" >&2; exit 1; }
    sleep 1
done
echo "searched $(seconds "$started") s after indexing, same server: $(printf '%s' "$answer" | cut -c1-300)"
echo "/readyz: $(curl -fs "$url/readyz")"
docker image ls govsearch --format 'image size {{.Size}}'
