#!/usr/bin/env bash
# relmap's throughput beside reference commands on the same files, in the same run.
#
#   bench/run.sh [--mb N] [--relmap PATH] [--keep DIR]
#
# Writes N MiB (default 64) with ../shared/bench/make-corpus in both layouts (one
# document a file; --concat, 4 MiB files), then for each layout times, best of 3:
# `wc -l`, `grep -c -F accused`, `grep -c -E` with the union of the trigger words
# of the default rules (the floor any rule engine pays), relmap extract on 1 and
# 2 threads, and relmap build -o x.dot on 2 threads. Prints MB/s, sentences/s,
# peak memory and each command's time as a ratio to `wc -l`; then extract -j 1's
# time as a multiple of grep's over the trigger words (steadier than MB/s on a
# shared machine, whose speed drifts within the hour), the speed-up of -j 2 over
# -j 1 from three pairs of runs taken in turn, and, in turn with them, that of two
# extract -j 1 run at once (the machine's own ceiling for two threads).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mb=64
relmap=$here/build/relmap
keep=
while [ $# -gt 0 ]; do
  case $1 in
    --mb) mb=$2; shift 2 ;;
    --relmap) relmap=$(realpath "$2"); shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "usage: bench/run.sh [--mb N] [--relmap PATH] [--keep DIR]" >&2; exit 2 ;;
  esac
done
make_corpus=$here/../shared/bench/make-corpus
[ -x "$make_corpus" ] || { echo "bench: needs $make_corpus" >&2; exit 2; }
work=${keep:-$(mktemp -d)}
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
# the trigger words as grep patterns, one a line, in a file: some hold a
# quote ("'s ") or end in a space, which no shell quoting should have to carry
triggers=$work/triggers.txt
"$relmap" check --triggers | sed 's/[.[\*^$()+?{}|\\]/\\&/g' > "$triggers"
[ -s "$triggers" ] || { echo "bench: no trigger words from relmap check --triggers" >&2; exit 2; }

# wall time in microseconds and peak memory of a command, best of three runs:
# "microseconds peak_kb" (the clock read around /usr/bin/time, which gives the
# peak but times to a hundredth of a second only: too coarse for wc on 64 MiB)
measure() {
  local best=
  for _ in 1 2 3; do
    local start end t
    start=$(date +%s%N)
    local rc=0
    /usr/bin/time -f "%M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || rc=$?
    end=$(date +%s%N)
    # 1 is grep's "none found"; more is a failure, which no figure may hide
    if [ "$rc" -gt 1 ]; then
      echo "bench: failed (exit $rc): $*" >&2
      head -5 "$work/err" >&2
      exit 1
    fi
    t="$(( (end - start) / 1000 )) $(tail -1 "$work/time")"
    if [ -z "$best" ] || [ "${t% *}" -lt "${best% *}" ]; then
      best=$t
    fi
  done
  echo "$best"
}

echo "relmap benchmark: $mb MiB, $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)"
for layout in files concat; do
  dir=$work/$layout
  if [ ! -d "$dir" ]; then
    if [ $layout = concat ]; then "$make_corpus" "$dir" --mb "$mb" --concat >/dev/null
    else "$make_corpus" "$dir" --mb "$mb" >/dev/null; fi
  fi
  bytes=$(find "$dir" -type f -name '*.txt' -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
  sentences=$("$relmap" explain --misses "$dir" | sed -n 's/.*of \([0-9]*\) sentences.*/\1/p' | head -1)
  echo
  echo "layout: $layout ($(find "$dir" -type f -name '*.txt' | wc -l) files, $bytes bytes, $sentences sentences)"
  printf '%-36s %9s %9s %14s %9s %9s\n' command seconds MB/s sentences/s peak_MB vs_wc
  base=
  run() {
    local label=$1; shift
    local r
    r=$(measure "$@")
    local s=${r% *} kb=${r#* }
    [ -n "$base" ] || base=$s
    case $label in
      "grep -c -E"*) grep_us=$s ;;
      "relmap extract -j 1") extract_us=$s ;;
    esac
    python3 - "$label" "$s" "$kb" "$bytes" "$sentences" "$base" <<'PY'
import sys
label, s, kb, size, sentences, base = sys.argv[1], float(sys.argv[2]) / 1e6, int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]) / 1e6
print(f"{label:36} {s:9.3f} {size / s / 1e6:9.1f} {sentences / s:14.0f} {kb / 1024:9.1f} {s / base:9.2f}")
PY
  }
  files=$(find "$dir" -type f -name '*.txt' | sort)
  run "wc -l" sh -c "find '$dir' -type f -name '*.txt' -print0 | xargs -0 cat | wc -l"
  # grep's output goes through a pipe: GNU grep that writes to /dev/null stops
  # at the first match, as if -q, and would time nothing but cat
  run "grep -c -F accused" sh -c "find '$dir' -type f -name '*.txt' -print0 | xargs -0 cat | grep -c -F accused | cat"
  run "grep -c -E <trigger words>" sh -c "find '$dir' -type f -name '*.txt' -print0 | xargs -0 cat | grep -c -E -f '$triggers' | cat"
  run "relmap extract -j 1" "$relmap" extract -j 1 "$dir"
  run "relmap extract -j 2" "$relmap" extract -j 2 "$dir"
  run "relmap build -j 2 -o x.dot" "$relmap" build -j 2 -o "$work/x.dot" "$dir"
  # the figure a slow or fast hour of a shared machine moves least: relmap's
  # time over the floor's, both best of three in the same run
  python3 - "$extract_us" "$grep_us" <<'PY'
import sys
extract, grep = float(sys.argv[1]), float(sys.argv[2])
print(f"extract -j 1 over grep -c -E <trigger words>: {extract / grep:.2f}x the time")
PY
  # the speed-up of 2 threads, from runs taken in turn, so that a slow spell
  # of a shared machine falls on both; and beside it what the machine gives
  # two processes that share nothing (two extract -j 1 at once, over the
  # time of one alone): the ceiling of any speed-up on its two cores
  pairs=
  for _ in 1 2 3; do
    for j in 1 2 both; do
      start=$(date +%s%N)
      if [ $j = both ]; then
        "$relmap" extract -j 1 "$dir" >/dev/null 2>"$work/err" &
        "$relmap" extract -j 1 "$dir" >/dev/null 2>"$work/err2" || true
        wait || true
      else
        "$relmap" extract -j $j "$dir" >/dev/null 2>"$work/err" || true
      fi
      end=$(date +%s%N)
      pairs="$pairs $(( (end - start) / 1000 ))"
    done
  done
  python3 - $pairs <<'PY'
import sys
t = [float(x) / 1e6 for x in sys.argv[1:]]
one, two, both = t[0::3], t[1::3], t[2::3]
each = " ".join(f"{a / b:.2f}" for a, b in zip(one, two))
print(f"extract -j 2 over -j 1, runs in turn: best {min(one) / min(two):.2f}x (each pair: {each})")
each = " ".join(f"{2 * a / b:.2f}" for a, b in zip(one, both))
print(f"two extract -j 1 at once, the machine's ceiling: best {2 * min(one) / min(both):.2f}x (each: {each})")
PY
done
