#!/usr/bin/env bash
# The release build of the Assay images, in one place: the builder stage of
# runner-image/Dockerfile and runner-image/server.Dockerfile runs this script,
# and so does scripts/image-check.sh on a development machine, so what is
# tested here is what the images ship.
#
#   runner-image/build.sh resolve              fetch the Swift packages (a cached image layer)
#   runner-image/build.sh PRODUCT [DEST_DIR]   build PRODUCT, copy it to DEST_DIR/PRODUCT,
#                                              with the resource bundles it loads beside it
#
# PRODUCT is assay-runner or assay-server. The Swift runtime and standard
# library (and Foundation) are linked statically (--static-swift-stdlib, which
# passes -static-stdlib to the linker driver): the binary needs no Swift
# toolchain. The C libraries (libcurl; for the server also libmongoc, libbson,
# libsqlite3) stay dynamic system libraries, which the final image installs
# from Debian.
#
# Environment:
#   SWIFT               the swift driver (default: swift on PATH)
#   ASSAY_SCRATCH_PATH  SwiftPM's build folder (default: .build-static)
#   ASSAY_STRIP         1 (default): strip debug info from the copy in DEST_DIR
#                       (the symbol table stays, so crash backtraces keep names);
#                       0: copy as built
#   ASSAY_BUILD_JOBS    parallel compile jobs (default: SwiftPM's, one per core)
set -euo pipefail

cd "$(dirname "$0")/.."

swift=${SWIFT:-swift}
scratch=${ASSAY_SCRATCH_PATH:-.build-static}

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
  echo "usage: $0 resolve | $0 PRODUCT [DEST_DIR]" >&2
  exit 2
fi

if [ "$1" = resolve ]; then
  exec "$swift" package --scratch-path "$scratch" resolve
fi

product=$1
dest=${2:-}
case "$product" in
  assay-runner | assay-server) ;;
  *) echo "$0: unknown product '$product' (assay-runner or assay-server)" >&2; exit 2 ;;
esac

flags=(-c release --static-swift-stdlib --product "$product" --scratch-path "$scratch")
if [ -n "${ASSAY_BUILD_JOBS:-}" ]; then
  flags+=(--jobs "$ASSAY_BUILD_JOBS")
fi

"$swift" build "${flags[@]}"

if [ -n "$dest" ]; then
  bin_path=$("$swift" build "${flags[@]}" --show-bin-path)
  mkdir -p "$dest"
  install -m 0755 "$bin_path/$product" "$dest/$product"
  # SwiftPM resource bundles (<package>_<target>.resources, e.g. the server's
  # web UI) are folders that Bundle.module looks for beside the executable;
  # copy those this binary names. (Its fallback, the absolute build folder,
  # exists only where it was built.)
  for bundle in "$bin_path"/*.resources; do
    [ -d "$bundle" ] || continue
    if grep -qaF "$(basename "$bundle")" "$dest/$product"; then
      rm -rf "${dest:?}/$(basename "$bundle")"
      cp -R "$bundle" "$dest/"
      chmod -R u=rwX,go=rX "$dest/$(basename "$bundle")"
    fi
  done
  if [ "${ASSAY_STRIP:-1}" = 1 ]; then
    strip --strip-debug "$dest/$product"
  fi
  ls -d "$dest"/*
fi
