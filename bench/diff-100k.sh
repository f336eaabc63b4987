#!/usr/bin/env bash
# Times relmap diff on two graphs of 100,000 edges each (extract TSVs that
# differ in a tenth of their rows), beside sort+diff(1) on the same files as
# the reference. Prints the seconds and the ratio. Usage: bench/diff-100k.sh [build/relmap]
set -euo pipefail
relmap=${1:-build/relmap}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
head = "source\trelation\ttarget\tdocument\tline\trule\tsource_type\tsource_country\ttarget_type\ttarget_country\tevidence\n"
with open(f"{work}/old.tsv", "w") as a, open(f"{work}/new.tsv", "w") as b:
    a.write(head); b.write(head)
    for i in range(100000):
        row = f"S{i % 1000}\taccuses\tT{i // 1000}\td{i}.txt\t1\tr:1\tcountry\t\tcountry\t\tS accused T.\n"
        a.write(row)
        b.write(row)
        if i % 10 == 0:
            b.write(row.replace("\t1\tr:1", "\t2\tr:1"))
PY
best() { # best of three runs, in seconds
  python3 - "$@" <<'PY'
import subprocess, sys, time
runs = []
for _ in range(3):
    t = time.perf_counter()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs.append(time.perf_counter() - t)
print(f"{min(runs):.3f}")
PY
}
r=$(best "$relmap" diff "$work/old.tsv" "$work/new.tsv")
s=$(best sh -c "sort '$work/old.tsv' > '$work/a' && sort '$work/new.tsv' > '$work/b' && diff '$work/a' '$work/b'")
echo "relmap diff, 2 x 100,000 edges: ${r}s; sort + diff(1) on the same files: ${s}s; ratio $(python3 -c "print(round($r / max($s, 0.001), 2))")"
