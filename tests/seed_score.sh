#!/usr/bin/env bash
# The seed articles in ../shared: extract, then score against the hand-read gold
# edges. Skipped (exit 77) when ../shared is not beside the project.
set -euo pipefail
relmap=$1
shared="${RELMAP_SOURCE_DIR:-$(dirname "$0")/..}/../shared"
if [ ! -x "$shared/eval/score" ] || [ ! -f "$shared/seeds/gold.tsv" ]; then
  echo "seed_score: SKIPPED: $shared/eval/score or $shared/seeds/gold.tsv is missing"
  exit 77
fi
command -v python3 >/dev/null || { echo "seed_score: SKIPPED: python3 is missing"; exit 77; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$relmap" extract "$shared"/seeds/*.txt > "$out"
"$shared/eval/score" "$shared/seeds/gold.tsv" "$out" \
  --need core-recall=1.0 --need entity-precision=0.9 --need entity-recall=0.7 --need country-f1=0.85
