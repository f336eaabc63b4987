#!/usr/bin/env bash
# The render step on a big graph, beside the Graphviz command line on the same graph.
#
#   bench/render.sh [--nodes N] [--edges M] [--relmap PATH] [--with-dot]
#
# Writes an extract TSV of N entities (default 1000: a fifth countries, the rest
# people of those countries) and M distinct edges (default 10000) over ten
# relations, with counts from 1 up, then times, best of 2: relmap merge to JSON
# (reading and merging, no Graphviz), to DOT (cgraph, no layout), to SVG with
# the default layout (auto: sfdp above 2000 edges); and the Graphviz CLI's sfdp
# with the same options on relmap's DOT. The render step is the SVG time less
# the JSON time. --with-dot also times --layout dot (about a minute at 10,000).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
nodes=1000 edges=10000 relmap=$here/build/relmap with_dot=
while [ $# -gt 0 ]; do
  case $1 in
    --nodes) nodes=$2; shift 2 ;;
    --edges) edges=$2; shift 2 ;;
    --relmap) relmap=$(realpath "$2"); shift 2 ;;
    --with-dot) with_dot=1; shift ;;
    *) echo "usage: bench/render.sh [--nodes N] [--edges M] [--relmap PATH] [--with-dot]" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/g.tsv" "$nodes" "$edges" <<'PY'
import random, sys
path, n, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(1)
rels = ["accuses", "indicts", "summons", "denies", "suspends", "threatens", "urges", "hacks",
        "sanctions", "expels"]
countries = max(1, n // 5)
nodes = [(f"Country {i}", "country", "") for i in range(countries)]
nodes += [(f"Person {i}", "person", f"Country {i % countries}") for i in range(n - countries)]
seen = set()
with open(path, "w") as f:
    f.write("source\trelation\ttarget\tdocument\tline\trule\tsource_type\tsource_country\t"
            "target_type\ttarget_country\tevidence\n")
    while len(seen) < m:
        a, b, rel = r.randrange(n), r.randrange(n), r.choice(rels)
        if a == b or (a, rel, b) in seen:
            continue
        seen.add((a, rel, b))
        (s, st, sc), (t, tt, tc) = nodes[a], nodes[b]
        for line in range(1 + int(r.expovariate(1.0))):
            f.write(f"{s}\t{rel}\t{t}\td{len(seen)}.txt\t{line + 1}\tbench:1\t{st}\t{sc}\t"
                    f"{tt}\t{tc}\t{s} {rel} {t}.\n")
PY

measure() { # best of two runs: "seconds peak_kb"
  local best= t
  for _ in 1 2; do
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" \
      || { echo "bench: failed: $*" >&2; cat "$work/err" >&2; exit 1; }
    t=$(tail -1 "$work/time")
    if [ -z "$best" ] || awk -v a="${t% *}" -v b="${best% *}" 'BEGIN { exit !(a < b) }'; then
      best=$t
    fi
  done
  echo "$best"
}
row() { # row LABEL "seconds peak_kb"
  printf '%-52s %8s %9s\n' "$1" "${2% *}" "$(( ${2#* } / 1024 ))"
}

echo "render benchmark: $nodes entities, $edges edges, $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)"
printf '%-52s %8s %9s\n' command seconds peak_MB
json=$(measure "$relmap" merge "$work/g.tsv" -o "$work/g.json")
row "relmap merge -o g.json (read and merge only)" "$json"
row "relmap merge -o g.dot (no layout)" "$(measure "$relmap" merge "$work/g.tsv" -o "$work/g.dot")"
svg=$(measure "$relmap" merge "$work/g.tsv" -o "$work/g.svg")
row "relmap merge -o g.svg (layout auto)" "$svg"
if command -v sfdp >/dev/null; then
  "$relmap" merge "$work/g.tsv" --layout sfdp -o "$work/s.dot" 2>/dev/null
  sed -i 's/xlabel="[^"]*",\{0,1\}//' "$work/s.dot" # what the SVG is drawn from: no labels
  row "sfdp -Goverlap=prism -Gquadtree=fast -Gsplines=false" \
    "$(measure sfdp -Goverlap=prism -Gquadtree=fast -Gsplines=false -Tsvg "$work/s.dot" -o "$work/ref.svg")"
else # the reference needs Graphviz's command line, which relmap itself does not
  printf '%-52s %8s %9s\n' "sfdp (not installed: apt-get install graphviz)" - -
fi
if [ -n "$with_dot" ]; then
  row "relmap merge --layout dot -o g.svg" \
    "$(measure "$relmap" merge "$work/g.tsv" --layout dot -o "$work/d.svg")"
fi
echo
echo "render step (SVG less JSON): $(awk -v a="${svg% *}" -v b="${json% *}" 'BEGIN { printf "%.2f", a - b }') s"
