#!/usr/bin/env bash
# Repeats the --in-image trial of docs/job-image.md ("What was tried") on a Debian machine that
# reaches Debian's package mirror but no container registry and runs no Docker engine: Podman
# with runc stands in for Docker, and two local images stand in for the ones the Python
# example's Dockerfile names (python:3.12-slim from a debootstrap filesystem with python3 and
# boto3, node:22-bookworm-slim holding this machine's Node.js). Run as root from the repository.
# With a registry and an engine, none of this is needed: `npx fanout run input-s3.json --in-image`.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${TRIAL_DIR:-/tmp/fanout-image-trial}
mkdir -p "$work"

apt-get install -y -qq podman runc debootstrap >/dev/null
# This sandbox refuses crun's rlimits and hybrid cgroups: runc with cgroupfs and no default ulimits.
printf '[containers]\ndefault_ulimits = []\npids_limit = 0\n[engine]\ncgroup_manager = "cgroupfs"\n' >"$work/containers.conf"
export CONTAINERS_CONF="$work/containers.conf"
export FANOUT_CONTAINER_ENGINE="podman --runtime runc"

if ! podman image exists docker.io/library/python:3.12-slim; then
  [ -x "$work/python-root/usr/bin/python3" ] ||
    debootstrap --variant=minbase --include=python3,python3-boto3 bookworm "$work/python-root" http://deb.debian.org/debian >/dev/null
  tar -C "$work/python-root" -c . | podman import - docker.io/library/python:3.12-slim >/dev/null
fi
if ! podman image exists docker.io/library/node:22-bookworm-slim; then
  mkdir -p "$work/node-root/usr/local/bin"
  cp "$(command -v node)" "$work/node-root/usr/local/bin/node"
  tar -C "$work/node-root" -c . | podman import - docker.io/library/node:22-bookworm-slim >/dev/null
fi

cd examples/python-sweep
echo "== the map path, every job in the image"
node ../../bin/fanout.mjs run input-s3.json --in-image --dir "$work/state-map"
echo "== the array path (children read their items from the manifest in their containers)"
node -e '
  const input = JSON.parse(require("fs").readFileSync("input-s3.json", "utf8"));
  delete input.toleratedFailurePercentage; delete input.retry; input.grid.lr = [0.01, 0.1];
  require("fs").writeFileSync(process.argv[1], JSON.stringify(input));' "$work/array-input.json"
node ../../bin/fanout.mjs run "$work/array-input.json" --in-image --path array --dir "$work/state-array"
