#!/bin/sh
# Prints the Debian packages that provide the shared libraries PROGRAM loads, one per line:
# what the Dockerfile's runtime stage installs, so the list follows the build (a library added
# to wgd needs no change here). Run where PROGRAM was built (the build stage). Fails when a
# library belongs to no package (built locally: the runtime image would lack it).
# Usage: runtime-packages.sh PROGRAM
set -eu
program=${1:?usage: runtime-packages.sh PROGRAM}
libs=$(ldd "$program" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')
packages=""
for lib in $libs; do
  # dpkg knows the path it installed, which may be the link or its target (/lib vs /usr/lib).
  owner=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null) ||
    { echo "runtime-packages.sh: no Debian package provides $lib" >&2; exit 1; }
  packages="$packages ${owner%%:*}"
done
printf '%s\n' $packages | sort -u
