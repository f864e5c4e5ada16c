#!/usr/bin/env bash
# Replays an image's Dockerfile on a host without a Docker engine: the same image-steps.sh steps, each stage
# in a plain folder under <work>. The result, <work>/image, is what the runner stage holds (production
# dependencies, sources, compiled output) and can be started from alone:
#   replay-image.sh <worker|web|zoom-sim> <work folder>
# Offline by default (IMAGE_STEPS_OFFLINE=1: installs from the local pnpm store), with proxies pointing at a
# closed port, so any download an install or build step attempts fails the replay.
# Prints the pruned production node_modules size (the image's biggest layer) as `node_modules_bytes=N`.
set -euo pipefail

app="${1:?app: worker | web | zoom-sim}"
work="${2:?work folder}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
steps="$repo/tooling/deploy/image-steps.sh"

case "$app" in
  worker) dir="apps/worker"; output="dist" ;;
  zoom-sim) dir="packages/zoom-sim"; output="dist" ;;
  web) dir="apps/web"; output=".next" ;;
  *) echo "replay-image: unknown app $app" >&2; exit 2 ;;
esac

export IMAGE_STEPS_OFFLINE="${IMAGE_STEPS_OFFLINE:-1}"
if [[ "$IMAGE_STEPS_OFFLINE" == "1" ]]; then
  export HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9 \
    https_proxy=http://127.0.0.1:9 PRISMA_ENGINES_MIRROR=http://127.0.0.1:9 NO_PROXY= no_proxy=
fi
export PATH="$repo/node_modules/.bin:$PATH"

rm -rf "$work"
mkdir -p "$work/builder" "$work/image"

stage() { echo "replay-image: $app: $*" >&2; }

stage "pruner: prune"
(cd "$repo" && bash "$steps" prune "$app" "$work/out" >/dev/null)

stage "builder: install-all, copy sources, build"
cp -a "$work/out/json/." "$work/builder/"
(cd "$work/builder" && bash "$steps" install-all >/dev/null)
cp -a "$work/out/full/." "$work/builder/"
(cd "$work/builder" && bash "$steps" build "$app" >&2)

stage "deps: install-prod (clean folder)"
cp -a "$work/out/json/." "$work/image/"
(cd "$work/image" && bash "$steps" install-prod >/dev/null)

stage "runner: sources and build output"
cp -a "$work/out/full/." "$work/image/"
cp -a "$work/builder/$dir/$output" "$work/image/$dir/$output"
# Next writes its cache next to the build output; the builder's has no place in an image.
rm -rf "$work/image/$dir/.next/cache"

echo "node_modules_bytes=$(du -sb --apparent-size "$work/image/node_modules" | cut -f1)"
echo "image_bytes=$(du -sb --apparent-size "$work/image" | cut -f1)"
echo "image=$work/image"
