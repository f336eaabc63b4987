#!/bin/sh
# Install what relmap needs to build and test on Debian 12: a C compiler, CMake,
# pkg-config, Graphviz (cgraph + gvc), PCRE2, Check, and python3 and xmllint for
# the tests, valgrind for the memcheck test, GNU parallel for the sharded build. As root it runs apt-get; otherwise it prints the exact command.
set -eu
packages="gcc make cmake pkg-config libgraphviz-dev libpcre2-dev check python3 libxml2-utils valgrind parallel"
missing=""
for p in $packages; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
if [ -z "$missing" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  echo "relmap: installing:$missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  echo "relmap: installing with sudo:$missing"
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
else
  echo "relmap: these Debian packages are missing:$missing" >&2
  echo "relmap: install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
  exit 1
fi
