#!/usr/bin/env bash
# The images' final stages without a container engine: debootstrap makes a
# Debian bookworm minbase tree (what debian:bookworm-slim is), then
# Tests/images/test_final_stage.py copies it once per image, plays the
# Dockerfile's final stage into it (its RUN lines through /bin/sh -c in a
# chroot, the binaries runner-image/build.sh built as COPY --from=build) and
# runs the result as Kubernetes would: user 65532, read-only root, empty
# volumes at /work and /tmp, the image's ENV only.
#
# Needs root, network access to Debian's mirror (debootstrap once, then the
# final stages' apt-get install), and the built binaries (built here first if
# missing, with runner-image/build.sh, as scripts/image-check.sh does).
#
# Environment: PYTHON (default .venv/bin/python), ASSAY_IMAGE_OUT (default
# .build-static/image; OUT/PRODUCT is that image's /out), ASSAY_IMAGE_ROOTFS (the cached base tree, default
# .build-static/rootfs/bookworm; delete it to start afresh), ASSAY_IMAGE_TREES
# (the played trees, default .build-static/rootfs/trees), DEBIAN_MIRROR.
set -euo pipefail

cd "$(dirname "$0")/.."

python=${PYTHON:-.venv/bin/python}
out=${ASSAY_IMAGE_OUT:-.build-static/image}
rootfs=${ASSAY_IMAGE_ROOTFS:-.build-static/rootfs/bookworm}
trees=${ASSAY_IMAGE_TREES:-.build-static/rootfs/trees}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ "$(id -u)" != 0 ]; then
  echo "image-rootfs: needs root (debootstrap, chroot, mounts)" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null; then
  echo "installing debootstrap"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

if [ ! -f "$rootfs/etc/debian_version" ]; then
  echo "== debootstrap --variant=minbase bookworm $rootfs"
  rm -rf "$rootfs.partial"
  mkdir -p "$(dirname "$rootfs")"
  start=$SECONDS
  debootstrap --variant=minbase bookworm "$rootfs.partial" "$mirror" >"$rootfs.log" 2>&1 \
    || { tail -20 "$rootfs.log" >&2; exit 1; }
  mv "$rootfs.partial" "$rootfs"
  echo "made in $((SECONDS - start)) s"
fi

for product in assay-runner assay-server; do
  if [ ! -x "$out/$product/$product" ]; then
    echo "== runner-image/build.sh $product $out/$product"
    runner-image/build.sh "$product" "$out/$product"
  fi
done

echo "== Tests/images/test_final_stage.py"
ASSAY_IMAGE_ROOTFS=$(realpath "$rootfs") ASSAY_IMAGE_OUT=$(realpath "$out") \
  ASSAY_IMAGE_TREES=$(realpath -m "$trees") \
  "$python" -m pytest -q -rs Tests/images/test_final_stage.py
