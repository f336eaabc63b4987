#!/usr/bin/env bash
# End-to-end tests of the relmap command on the fixtures in tests/fixtures.
# Each check states the behaviour it pins down; the script stops at the first failure.
set -uo pipefail
relmap=$(realpath "$1")
here=$(cd "$(dirname "$0")/.." && pwd)
fixtures=$here/fixtures
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$fixtures" || exit 1
unset RELMAP_RULES
mini=rules/mini.rules
passed=0
failed=0

check() { # check NAME COMMAND...: the command must succeed
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}
status_is() { # status_is WANT COMMAND...
  local want=$1; shift
  "$@" >"$work/stdout" 2>"$work/stderr"
  local got=$?
  [ "$got" = "$want" ] || { echo "  exit status $got, wanted $want: $*"; cat "$work/stderr"; return 1; }
}
has() { grep -qF -- "$2" "$1" || { echo "  '$2' not in $1:"; head -20 "$1"; return 1; }; }
lacks() { ! grep -qF -- "$2" "$1" || { echo "  '$2' unexpectedly in $1"; return 1; }; }

# --- usage and exit status 2
check "help exits 0 and shows usage" status_is 0 "$relmap" --help
check "help names the commands" has "$work/stdout" "extract [-r RULES]"
check "command help" status_is 0 "$relmap" build --help
check "version" status_is 0 "$relmap" --version
check "version text" has "$work/stdout" "relmap 0."
check "no command is bad usage" status_is 2 "$relmap"
check "unknown command is bad usage" status_is 2 "$relmap" frobnicate
check "unknown command message" has "$work/stderr" "unknown command 'frobnicate'"
check "no input is bad usage" status_is 2 "$relmap" build -r $mini
check "unknown option is bad usage" status_is 2 "$relmap" extract --bogus corpus
check "unknown output format is bad usage" status_is 2 "$relmap" build -r $mini -o "$work/x.png" corpus
check "bad level is bad usage" status_is 2 "$relmap" build --level planet corpus
check "bad layout is bad usage" status_is 2 "$relmap" build --layout neato corpus
check "bad layout message" has "$work/stderr" "--layout takes auto, dot or sfdp, not 'neato'"
check "diff takes no --layout" status_is 2 "$relmap" diff --layout sfdp corpus corpus
check "extract takes no -o" status_is 2 "$relmap" extract -o x.tsv corpus

# --- extract: exact rows, folders walked in order, *.txt only
check "extract succeeds" status_is 0 "$relmap" extract -r $mini corpus
cp "$work/stdout" "$work/extract.tsv"
check "extract output is exactly as expected" diff -u expected/extract.tsv "$work/extract.tsv"
check "non-.txt files in folders are skipped" lacks "$work/extract.tsv" "ignored.md"
check "a named file is read whatever its name" status_is 0 "$relmap" extract -r $mini corpus/ignored.md
check "named .md file gives its edge" has "$work/stdout" "Ruritania	accuses	Freedonia	corpus/ignored.md	1"
check "--glob picks other files" status_is 0 "$relmap" extract -r $mini --glob '*.md' corpus
check "--glob result" has "$work/stdout" "corpus/ignored.md"
check "stdin as a document" status_is 0 sh -c "printf 'Strelsau accused Freedonia.\n' | '$relmap' extract -r $mini -"
check "stdin document is named -" has "$work/stdout" "Ruritania	accuses	Freedonia	-	1"

# --- build: every format, deterministic, atomic
check "build writes four formats" status_is 0 "$relmap" build -r $mini -o "$work/g.dot" -o "$work/g.svg" -o "$work/g.json" -o "$work/g.tsv" corpus
check "dot has the edge with count" has "$work/g.dot" 'label="accuses (2)"'
check "dot keeps what diff needs" has "$work/g.dot" 'relmap_documents="corpus/a.txt'
check "sfdp layout on request" status_is 0 "$relmap" build -r $mini --layout=sfdp -o "$work/s.svg" corpus
check "sfdp svg has the edge's evidence" has "$work/s.svg" "<title>Ruritania accuses Freedonia: 2 sentences"
check "sfdp svg has no count label" lacks "$work/s.svg" ">accuses (2)</text>"
check "svg quotes evidence in the edge title" has "$work/g.svg" "<title>Ruritania accuses Freedonia: 2 sentences in 1 document&#10;corpus/a.txt:1: Ruritania Accuses Freedonia of Spying&#10;corpus/a.txt:3: STRELSAU - Ruritania formally accused Freedonia of spying on its ministries.&#10;documents: corpus/a.txt</title>"
check "svg has the legend" has "$work/g.svg" ">Relations</text>"
check "json lists documents" has "$work/g.json" '"documents": ["corpus/a.txt"]'
check "tsv graph row" has "$work/g.tsv" "Freedonia	denies	Ruritania	1	corpus/a.txt"
if command -v xmllint >/dev/null; then
  check "svg is well-formed XML" xmllint --noout "$work/g.svg"
fi
check "second build" status_is 0 "$relmap" build -r $mini -o "$work/h.dot" -o "$work/h.svg" corpus
check "dot is byte-identical across runs" cmp "$work/g.dot" "$work/h.dot"
check "svg is byte-identical across runs" cmp "$work/g.svg" "$work/h.svg"
check "no temporary files are left" sh -c "! ls -A '$work' | grep -q '^\\.'"

# --- threads: the same output as one thread
check "extract on 3 threads" status_is 0 "$relmap" extract -r $mini -j 3 corpus corpus/a.txt corpus/sub
cp "$work/stdout" "$work/extract-j3.tsv"
check "extract on 1 thread" status_is 0 "$relmap" extract -r $mini -j 1 corpus corpus/a.txt corpus/sub
check "-j 3 output equals -j 1" cmp "$work/stdout" "$work/extract-j3.tsv"
cp "$work/stdout" "$work/extract-j1.tsv"
check "extract without -j (a thread a processor)" status_is 0 "$relmap" extract -r $mini corpus corpus/a.txt corpus/sub
check "the default's output equals -j 1" cmp "$work/stdout" "$work/extract-j1.tsv"
check "build on 2 threads" status_is 0 "$relmap" build -r $mini -j 2 -o "$work/j2.dot" corpus
check "-j 2 graph equals one thread's" cmp "$work/g.dot" "$work/j2.dot"
check "-j 0 is bad usage" status_is 2 "$relmap" extract -j 0 corpus

# --- merge: shards give the same graph as one build
check "extract shard a" status_is 0 "$relmap" extract -r $mini corpus/a.txt
cp "$work/stdout" "$work/a.tsv"
check "extract shard b" status_is 0 "$relmap" extract -r $mini corpus/sub
cp "$work/stdout" "$work/b.tsv"
check "merge in reverse order" status_is 0 "$relmap" merge -r $mini -o "$work/m.dot" -o "$work/m.svg" "$work/b.tsv" "$work/a.tsv"
check "merge dot equals build dot" cmp "$work/g.dot" "$work/m.dot"
check "merge svg equals build svg" cmp "$work/g.svg" "$work/m.svg"
printf 'source\trelation\n# fine\nA\taccuses\n' > "$work/bad.tsv"
check "malformed tsv is an input error" status_is 1 "$relmap" merge -r $mini -o "$work/n.dot" "$work/bad.tsv"
check "malformed tsv names file and line" has "$work/stderr" "bad.tsv:3:1: error: expected 11 tab-separated columns"

# --- a memory limit: edges go to disk, the outputs stay the same bytes
check "build with its edges on disk" status_is 0 "$relmap" build -r $mini --memory 1K -o "$work/k.dot" -o "$work/k.svg" -o "$work/k.json" -o "$work/k.tsv" corpus
for f in dot svg json tsv; do
  check "--memory 1K $f equals the build in memory" cmp "$work/g.$f" "$work/k.$f"
done
bundled=(-r "$here/../rules/relmap.rules" "$here/../corpus")
check "bundled corpus, no limit" status_is 0 "$relmap" build "${bundled[@]}" --memory 0 -o "$work/big0.dot" -o "$work/big0.json"
check "bundled corpus, 4K" status_is 0 "$relmap" build "${bundled[@]}" --memory 4k -o "$work/big4.dot" -o "$work/big4.json"
check "4K dot equals no limit's" cmp "$work/big0.dot" "$work/big4.dot"
check "4K json equals no limit's" cmp "$work/big0.json" "$work/big4.json"
check "merge with its edges on disk" status_is 0 "$relmap" merge -r $mini --memory 1K -o "$work/km.dot" "$work/b.tsv" "$work/a.tsv"
check "merge --memory 1K equals build" cmp "$work/g.dot" "$work/km.dot"
check "a bad size is bad usage" status_is 2 "$relmap" build -r $mini --memory 12KB corpus
check "bad size message" has "$work/stderr" "--memory takes a size: MiB, or a number ending in K, M or G (0: no limit), not '12KB'"
check "a negative size is bad usage" status_is 2 "$relmap" build -r $mini --memory=-1 corpus
check "extract takes no --memory" status_is 2 "$relmap" extract -r $mini --memory 1 corpus
check "nowhere to spill is an input error" status_is 1 env TMPDIR=/nonexistent/spill "$relmap" build -r $mini --memory 1K -o "$work/nospill.dot" corpus
check "nowhere to spill names the folder" has "$work/stderr" "/nonexistent/spill: error: cannot write the graph's edges to a temporary file here"
check "and writes no output" test ! -e "$work/nospill.dot"

# --- map/reduce with GNU parallel gives the graph of one build
if command -v parallel >/dev/null; then
  check "sharded build" status_is 0 env RELMAP="$relmap" bash "$here/../scripts/shard-build.sh" -r rules/mini.rules -s 2 -j 2 -o "$work/sharded.dot" corpus
  check "sharded DOT equals one build's" cmp "$work/g.dot" "$work/sharded.dot"
else
  echo "cli: sharded build SKIPPED: GNU parallel is not installed"
fi

# --- country level
check "country roll-up" status_is 0 "$relmap" build -r $mini --level country -o "$work/c.tsv" corpus
check "person rolled up to its country" has "$work/c.tsv" "Ruritania	accuses	Freedonia	3	corpus/a.txt corpus/sub/b.txt"
check "no person node at country level" lacks "$work/c.tsv" "	person	"

# --- bad input: reported, the rest still processed, exit 1
check "missing corpus path is exit 1" status_is 1 "$relmap" extract -r $mini corpus/a.txt no/such/file.txt
check "missing path is named" has "$work/stderr" "no/such/file.txt: error: No such file or directory"
check "other files still processed" has "$work/stdout" "corpus/a.txt"
printf 'Ruritania\0accused Freedonia.\n' > "$work/binary.txt"
check "binary file is skipped with a warning" status_is 0 "$relmap" extract -r $mini corpus/a.txt "$work/binary.txt"
check "binary warning" has "$work/stderr" "binary.txt: warning: skipped: a binary file"
check "empty folder is an error" status_is 1 "$relmap" extract -r $mini "$work/emptydir-that-is-missing"
mkdir -p "$work/empty"
check "a corpus with no documents is an error" status_is 1 "$relmap" extract -r $mini "$work/empty"
check "no documents message" has "$work/stderr" "no documents found"

# --- broken rules: FILE:LINE:COL, the line, a caret; previous output kept
echo "previous" > "$work/keep.dot"
check "broken rules exit 1" status_is 1 "$relmap" build -r rules/broken.rules -o "$work/keep.dot" corpus
check "error has file line column" has "$work/stderr" "rules/broken.rules:3:39: error: missing closing parenthesis"
check "error shows the line" has "$work/stderr" " rule accuses: {SRC} accused (the {TGT}"
check "previous output kept" has "$work/keep.dot" "previous"
check "a build that reads no document" status_is 1 "$relmap" build -r $mini -o "$work/keep.dot" no/such/folder
check "leaves the previous output" has "$work/keep.dot" "previous"
check "missing rules file" status_is 1 "$relmap" extract -r rules/none.rules corpus
check "missing rules message" has "$work/stderr" "rules/none.rules: error: cannot read rules"
check "RELMAP_RULES to nowhere" status_is 1 env RELMAP_RULES=/nonexistent/relmap.rules "$relmap" extract corpus
touch "$work/afile"
check "output under a file is an error" status_is 1 "$relmap" build -r $mini -o "$work/afile/x.dot" corpus
check "output error names the path" has "$work/stderr" "afile/x.dot: error: cannot write: Not a directory"

# --- relmap check
check "check the bundled rules" status_is 0 env RELMAP_RULES="$here/../rules" "$relmap" check
check "bundled rules are clean and their examples pass" has "$work/stderr" "relmap check: 0 errors, 0 warnings;"
check "no example failed" lacks "$work/stderr" "example fails"
check "check a broken file" status_is 1 "$relmap" check rules/broken.rules
check "check prints gcc-style errors" has "$work/stderr" "rules/broken.rules:3:39: error: missing closing parenthesis"
check "check shows the caret" has "$work/stderr" "                                       ^"
check "no colour when not a terminal" lacks "$work/stderr" "$(printf '\033')"
if command -v script >/dev/null; then
  # script(1) gives relmap a terminal: colour there, unless NO_COLOR is set
  check "colour on a terminal" sh -c "script -qc '\"$relmap\" check rules/broken.rules' /dev/null | grep -q \"\$(printf '\\033')\\[1;31merror\""
  check "no colour with NO_COLOR" sh -c "! NO_COLOR=1 script -qc '\"$relmap\" check rules/broken.rules' /dev/null | grep -q \"\$(printf '\\033')\""
fi
printf 'relation r\nmacro M x\nrule r: {SRC} y {TGT}\nexample "none here" => none\n' > "$work/warn.rules"
check "warnings alone pass" status_is 0 "$relmap" check "$work/warn.rules"
check "unused macro warning" has "$work/stderr" "warn.rules:2:7: warning: macro M is never used"
check "no trigger word warning" has "$work/stderr" "warn.rules:3:9: warning: pattern has no trigger word"
check "summary counts" has "$work/stderr" "relmap check: 0 errors, 2 warnings; 1 example run, 0 failed"

# --- relmap explain
check "explain a sentence" status_is 0 "$relmap" explain -r $mini "Strelsau formally accused the Bureau."
check "explain shows entities" has "$work/stdout" '    1-8 "Strelsau" -> Ruritania (country)'
check "explain shows the rule and its slots" has "$work/stdout" '  rule mini.rules:12 (accuses) fired: SRC="Strelsau" TGT="the Bureau"'
check "explain shows the edge" has "$work/stdout" "  edge: Ruritania -accuses-> Freedonian Bureau (mini.rules:12)"
check "explain a file line" status_is 0 "$relmap" explain -r $mini --line 4 corpus/a.txt
check "the sentences of that line" has "$work/stdout" "sentence 3, line 4, column 1:"
check "the target from context" has "$work/stdout" "target from context: Ruritania"
check "explain stdin" status_is 0 sh -c "printf 'Freedonia denied the claims.' | '$relmap' explain -r $mini --all -"
check "explain --all" has "$work/stdout" "no target in context"
check "explain output has no colour off a terminal" lacks "$work/stdout" "$(printf '\033')"
check "explain --line needs a number" status_is 2 "$relmap" explain -r $mini --line x corpus/a.txt
check "--misses needs a corpus" status_is 2 "$relmap" explain -r $mini --misses
check "explain --misses" status_is 0 "$relmap" explain -r $mini --misses corpus
check "misses lists nothing here" has "$work/stdout" "gave no edge (0 of 7 sentences)"
check "rule use counts" has "$work/stdout" "       4  mini.rules:12 (accuses)"

# --- relmap diff
mkdir -p "$work/new"
# the new version drops the denial and adds two accusations
grep -v denied corpus/a.txt > "$work/new/a.txt"
printf 'Strelsau accused Freedonia again.\nThe Bureau accused Ruritania.\n' >> "$work/new/a.txt"
check "diff of two corpora" status_is 1 "$relmap" diff -r $mini corpus/a.txt "$work/new"
check "changed edge" has "$work/stdout" "~ Ruritania -accuses-> Freedonia 2 -> 3"
check "added edge" has "$work/stdout" "+ Freedonian Bureau -accuses-> Ruritania (1)"
check "removed edge" has "$work/stdout" "- Freedonia -denies-> Ruritania (1)"
check "added node" has "$work/stdout" "+ node Freedonian Bureau (agency)"
check "summary" has "$work/stdout" "1 edge added, 1 removed, 1 changed, 0 unchanged; 1 node added, 0 removed"
cp "$work/stdout" "$work/diff-corpus.txt"
check "build old dot" status_is 0 "$relmap" build -r $mini -o "$work/old.dot" corpus/a.txt
check "build new dot" status_is 0 "$relmap" build -r $mini -o "$work/new.dot" "$work/new"
check "diff of DOT files" status_is 1 "$relmap" diff "$work/old.dot" "$work/new.dot"
check "DOT diff equals corpus diff" cmp "$work/stdout" "$work/diff-corpus.txt"
check "extract old tsv" status_is 0 "$relmap" extract -r $mini corpus/a.txt
cp "$work/stdout" "$work/old.tsv"
check "diff of TSV against DOT" status_is 1 "$relmap" diff "$work/old.tsv" "$work/new.dot"
check "TSV diff equals corpus diff" cmp "$work/stdout" "$work/diff-corpus.txt"
check "no differences is exit 0" status_is 0 "$relmap" diff "$work/old.dot" "$work/old.tsv"
check "no differences message" has "$work/stdout" "no differences (2 edges, 2 nodes)"
check "country level" status_is 1 "$relmap" diff -r $mini --level country corpus/a.txt "$work/new"
check "agency rolled up" has "$work/stdout" "+ Freedonia -accuses-> Ruritania (1)"
check "relation filter" status_is 1 "$relmap" diff --relation denies "$work/old.dot" "$work/new.dot"
check "only that relation" lacks "$work/stdout" "accuses"
check "svg diff to a file" status_is 1 "$relmap" diff --changed-only -o "$work/diff.svg" "$work/old.dot" "$work/new.dot"
check "svg diff has the legend" has "$work/diff.svg" ">Changes</text>"
if command -v xmllint >/dev/null; then
  check "svg diff is well-formed" xmllint --noout "$work/diff.svg"
fi
check "json diff" status_is 1 "$relmap" diff --format json "$work/old.dot" "$work/new.dot"
check "json summary" has "$work/stdout" '"edges_added": 1, "edges_removed": 1, "edges_changed": 1'
printf 'digraph G { a -> b [label="x"]; }\n' > "$work/elsewhere.dot"
head -1 "$work/old.tsv" > "$work/nothing.tsv"
check "an empty graph renders" status_is 0 "$relmap" merge -r $mini -o "$work/nothing.dot" "$work/nothing.tsv"
check "an empty graph's DOT reads back" status_is 0 "$relmap" diff "$work/nothing.dot" "$work/nothing.tsv"
check "and says so" has "$work/stdout" "no differences (0 edges, 0 nodes)"
check "a DOT file from elsewhere is trouble" status_is 2 "$relmap" diff "$work/elsewhere.dot" "$work/new.dot"
check "and says what is missing" has "$work/stderr" "elsewhere.dot: error: not a DOT file written by relmap build: its nodes have no relmap_name; its edges have no relmap_relation and no relmap_count"
check "a missing side is trouble" status_is 2 "$relmap" diff "$work/old.dot" "$work/none.dot"
check "one side only is bad usage" status_is 2 "$relmap" diff "$work/old.dot"
check "unknown diff format is bad usage" status_is 2 "$relmap" diff --format pdf "$work/old.dot" "$work/new.dot"

# --- the worked example of docs/rules.md
printf "Moscow on Tuesday praised Beijing's stance. China was hailed by Russia.\n" > "$work/praise.txt"
check "a new relation on top of the bundled rules" status_is 0 "$relmap" extract -r rules/praise.rules "$work/praise.txt"
check "active form" has "$work/stdout" "Russia	praises	China	$work/praise.txt	1	praise.rules:5"
check "passive form" has "$work/stdout" "Russia	praises	China	$work/praise.txt	1	praise.rules:6"

# --- default rules and default outputs
mkdir -p "$work/run"
check "build with bundled rules and default outputs" status_is 0 sh -c "cd '$work/run' && RELMAP_RULES='$here/../rules' '$relmap' build '$fixtures/corpus'"
check "default svg written" test -s "$work/run/out/relations.svg"
check "default dot written" test -s "$work/run/out/relations.dot"

# --- cmake --install puts the binary and the rules where they find each other
if [ -n "${RELMAP_BINARY_DIR:-}" ] && [ -f "$RELMAP_BINARY_DIR/cmake_install.cmake" ]; then
  check "cmake --install" status_is 0 cmake --install "$RELMAP_BINARY_DIR" --prefix "$work/prefix"
  printf 'Beijing accused Washington of hacking.\n' > "$work/real.txt"
  check "installed relmap finds its rules" status_is 0 env -u RELMAP_RULES "$work/prefix/bin/relmap" extract "$work/real.txt"
  check "installed relmap extracts" has "$work/stdout" "China	accuses	United States"
fi

echo "cli: $passed passed, $failed failed"
[ "$failed" = 0 ]
