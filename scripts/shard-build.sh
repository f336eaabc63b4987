#!/usr/bin/env bash
# Map/reduce with GNU parallel: split a corpus into shards, run `relmap extract`
# on each (locally with -j; across machines with --sshlogin, see
# docs/performance.md), then `relmap merge` the shards' TSVs. The graph is byte
# for byte the one `relmap build` makes from the whole corpus, because extract
# works per document and merge is associative and order-independent.
#
#   scripts/shard-build.sh [-r RULES] [-s SHARDS] [-j JOBS] -o OUTPUT... CORPUS_DIR
set -euo pipefail
relmap=${RELMAP:-$(cd "$(dirname "$0")/.." && pwd)/build/relmap}
rules=() shards=8 jobs=$(nproc) outputs=()
while getopts "r:s:j:o:" opt; do
  case $opt in
    r) rules+=(-r "$OPTARG") ;;
    s) shards=$OPTARG ;;
    j) jobs=$OPTARG ;;
    o) outputs+=(-o "$OPTARG") ;;
    *) echo "usage: scripts/shard-build.sh [-r RULES] [-s SHARDS] [-j JOBS] -o OUTPUT... CORPUS_DIR" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# = 1 ] && [ ${#outputs[@]} -gt 0 ] || { echo "usage: scripts/shard-build.sh [-r RULES] [-s SHARDS] [-j JOBS] -o OUTPUT... CORPUS_DIR" >&2; exit 2; }
command -v parallel >/dev/null || { echo "shard-build: needs GNU parallel (apt-get install parallel)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the shards: the corpus's files in byte order, cut into SHARDS lists
find "$1" -type f -name '*.txt' | LC_ALL=C sort > "$work/files"
split -n "l/$shards" -d "$work/files" "$work/shard."
# map: one extract per shard, on one thread each: parallel runs -j of them at
# once (add --sshlogin HOSTS and --transferfile to go wide)
find "$work" -name "shard.*" -size +0 | LC_ALL=C sort | parallel --will-cite -j "$jobs" --halt now,fail=1 \
  "xargs -d '\n' -a {} '$relmap' extract -j 1 ${rules[*]:-} > {}.tsv"
# reduce
"$relmap" merge "${rules[@]}" "${outputs[@]}" "$work"/shard.*.tsv
