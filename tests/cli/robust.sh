#!/usr/bin/env bash
# Bad input never crashes, hangs or loses output: each row of docs/robustness.md
# is checked here against the built binary.
set -uo pipefail
relmap=$(realpath "$1")
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$here/fixtures" || exit 1
unset RELMAP_RULES
mini=$here/fixtures/rules/mini.rules
passed=0
failed=0
check() {
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}
status_is() {
  local want=$1; shift
  "$@" >"$work/stdout" 2>"$work/stderr"
  local got=$?
  [ "$got" = "$want" ] || { echo "  exit status $got, wanted $want: $*"; head -5 "$work/stderr"; return 1; }
}
has() { grep -qF -- "$2" "$1" || { echo "  '$2' not in $1:"; head -10 "$1"; return 1; }; }
lacks() { ! grep -qF -- "$2" "$1" || { echo "  '$2' unexpectedly in $1"; return 1; }; }

# invalid UTF-8: repaired, with a warning naming the file and the byte offset
printf 'Strelsau accused \xff\xfe Freedonia.\nRuritania accused Freedonia.\n' > "$work/bad-utf8.txt"
check "invalid UTF-8 is repaired" status_is 0 "$relmap" extract -r "$mini" "$work/bad-utf8.txt"
check "warning with byte offset" has "$work/stderr" "bad-utf8.txt: warning: invalid UTF-8 at byte 17 (2 bad bytes in the file), replaced by U+FFFD"
check "the rest is read" has "$work/stdout" "Ruritania	accuses	Freedonia"

# NUL bytes: a binary file is skipped with a warning; the others are read
printf 'Ruritania\0accused Freedonia.\n' > "$work/binary.txt"
check "binary file skipped" status_is 0 "$relmap" extract -r "$mini" "$work/binary.txt" corpus/a.txt
check "binary warning" has "$work/stderr" "binary.txt: warning: skipped: a binary file (it holds NUL bytes)"

# on several threads, which read the files themselves, every warning and
# error comes in document order with the rows, exactly as on one thread
mkdir -p "$work/mixed/sub"
for k in 1 2 3 4 5 6 7 8; do cp corpus/a.txt "$work/mixed/a$k.txt"; done
cp "$work/bad-utf8.txt" "$work/mixed/b-bad.txt"
cp "$work/binary.txt" "$work/mixed/c-binary.txt"
ln -s nowhere.txt "$work/mixed/d-dangling.txt"
printf 'Ruritania accused Freedonia.\n' > "$work/mixed/sub/e.txt"
mixed=("$work/mixed" "$work/nowhere.txt" - corpus/a.txt)
printf 'Strelsau accused Freedonia.\n' | "$relmap" extract -r "$mini" -j 1 "${mixed[@]}" >"$work/j1.out" 2>"$work/j1.err"
j1=$?
for j in 2 3; do
  printf 'Strelsau accused Freedonia.\n' | "$relmap" extract -r "$mini" -j $j "${mixed[@]}" >"$work/jn.out" 2>"$work/jn.err"
  check "-j $j: the exit status of one thread ($j1)" test $? = "$j1"
  check "-j $j: the rows of one thread" cmp "$work/j1.out" "$work/jn.out"
  check "-j $j: the messages of one thread, in order" cmp "$work/j1.err" "$work/jn.err"
done
check "the mixed folder gives each message" has "$work/j1.err" "c-binary.txt: warning: skipped: a binary file"
check "the mixed folder: the dangling link" has "$work/j1.err" "d-dangling.txt: warning: skipped: a symbolic link that leads nowhere"
check "the mixed folder: the missing path" has "$work/j1.err" "nowhere.txt: error: No such file or directory"
check "the mixed folder: the repair" has "$work/j1.err" "b-bad.txt: warning: invalid UTF-8 at byte 17"
check "the mixed folder: standard input read" has "$work/j1.out" "Freedonia	-	1"
check "the mixed folder: exit 1 for the missing path" test "$j1" = 1

# a long file with no newline and no space: cut into bounded sentences
python3 -c "import sys; sys.stdout.write('Ruritania accused Freedonia. ' + 'x' * 5000000)" > "$work/long.txt"
check "5 MB with no newline" status_is 0 "$relmap" extract -r "$mini" "$work/long.txt"
check "still finds the edge" has "$work/stdout" "Ruritania	accuses	Freedonia"

# empty files
: > "$work/empty.txt"
check "an empty file is no error" status_is 0 "$relmap" extract -r "$mini" "$work/empty.txt"

# paths that do not exist: an error naming the path; other files still read; exit 1
check "missing path" status_is 1 "$relmap" extract -r "$mini" "$work/nowhere.txt" corpus/a.txt
check "missing path named" has "$work/stderr" "nowhere.txt: error: No such file or directory"
check "others still read" has "$work/stdout" "corpus/a.txt"

# symbolic link loops and dangling links inside a folder: skipped with a warning
mkdir -p "$work/links/sub"
cp corpus/a.txt "$work/links/a.txt"
ln -s loop.txt "$work/links/loop.txt"
ln -s nowhere.txt "$work/links/dangling.txt"
ln -s .. "$work/links/sub/up"
check "link loops do not hang or fail" status_is 0 timeout 10 "$relmap" extract -r "$mini" "$work/links"
check "loop warning" has "$work/stderr" "loop.txt: warning: skipped: a symbolic link loop"
check "dangling warning" has "$work/stderr" "dangling.txt: warning: skipped: a symbolic link that leads nowhere"
check "the folder's file read once" test "$(grep -c 'a.txt	' "$work/stdout")" = 3

# catastrophic backtracking: the rule and document:line are reported, the rest goes on
printf 'relation r\nentity country "A"\nentity country "B"\nrule r: {SRC} (?:x+x+)+y {TGT}\n' > "$work/slow.rules"
python3 -c "print('A ' + 'x' * 40 + 'z y B. A xxxy B.')" > "$work/slow.txt"
check "backtracking is bounded" status_is 1 timeout 20 "$relmap" extract -r "$work/slow.rules" "$work/slow.txt"
check "the rule and the line are named" has "$work/stderr" "slow.txt:1:1: error: rule slow.rules:4 gave up on this sentence: match limit exceeded"
check "the next sentence still matched" has "$work/stdout" "A	r	B"

# text that could break DOT or inject markup into the SVG
cat > "$work/nasty.rules" <<'R'
relation accuses label="<b>accuses</b> & \"more\""
entity country "Evil \"Corp\" <script>alert(1)</script> & co \\"
    alias "Evil"
entity country "Back\\slash"
    alias "Backslash"
title Minister
rule accuses: {SRC} accused {TGT}
R
printf 'Evil accused Backslash of <script>alert("x")</script> & "\\\\".\nMinister Jo\xc3\xabl <O&amp;Hare> accused Evil.\n' > "$work/nasty.txt"
check "nasty names build" status_is 0 "$relmap" build -r "$work/nasty.rules" -o "$work/nasty.dot" -o "$work/nasty.svg" "$work/nasty.txt"
if command -v xmllint >/dev/null; then
  check "svg is well-formed" xmllint --noout "$work/nasty.svg"
fi
check "no script element" lacks "$work/nasty.svg" "<script"
check "no raw tags from the corpus" lacks "$work/nasty.svg" "<b>"
check "dot reads back (diff with itself)" status_is 0 "$relmap" diff "$work/nasty.dot" "$work/nasty.dot"
check "names survive the round trip" status_is 1 "$relmap" diff "$work/nasty.dot" "$work/empty.txt"
check "the awkward name read back" has "$work/stdout" '- node Evil "Corp" <script>alert(1)</script> & co \ (country)'

# killed midway: the previous output stays, no temporary file is left, here
# or in $TMPDIR, where the graph's edges go past --memory
python3 -c "
import sys
for i in range(40000):
    sys.stdout.write('Strelsau formally accused Freedonia of spying on its ministries. Freedonia denied the claims.\n')" > "$work/big.txt"
mkdir -p "$work/out" "$work/tmp"
echo previous > "$work/out/g.svg"
# (the same file twenty times on one thread: long enough that the signal
# comes mid-run)
big20=$(for _ in $(seq 20); do printf '%s ' "$work/big.txt"; done)
# shellcheck disable=SC2086
TMPDIR="$work/tmp" "$relmap" build -j 1 -r "$mini" --memory 1K -o "$work/out/g.svg" $big20 2>/dev/null &
pid=$!
sleep 0.3
kill -TERM "$pid" 2>/dev/null
wait "$pid"
killed=$?
check "the run was killed or had finished" test "$killed" = 143 -o "$killed" = 0
if [ "$killed" = 143 ]; then
  # killed while it ran: the previous output; killed between renaming the new
  # output into place and exiting (a fast machine): the new output, whole
  check "previous output intact, or the new one whole" \
    sh -c "grep -qF previous '$work/out/g.svg' || tail -c 16 '$work/out/g.svg' | grep -qF '</svg>'"
fi
check "no temporary file left" test -z "$(ls -A "$work/out" | grep -v '^g.svg$')"
check "no spilled edges left in TMPDIR" test -z "$(ls -A "$work/tmp")"

# a full disk on standard output is an error, not a truncated success
if [ -w /dev/full ]; then
  check "full disk is exit 1" status_is 1 sh -c "'$relmap' extract -r '$mini' '$work/big.txt' > /dev/full"
  check "full disk message" has "$work/stderr" "No space left on device"
fi

# a TMPDIR that cannot take the graph's edges (here a file size limit, as a
# full disk would): an error naming the folder, and the old output stays
echo previous > "$work/spill-keep.dot"
check "spill that cannot be written is exit 1" status_is 1 bash -c "trap '' XFSZ; ulimit -f 2; TMPDIR='$work' '$relmap' build -r '$here/../rules/relmap.rules' --memory 8K -o '$work/spill-keep.dot' '$here/../corpus'"
check "spill error names the folder and why" has "$work/stderr" "$work: error: cannot write the graph's edges to a temporary file here"
check "spill error says why" has "$work/stderr" "File too large"
check "the old output stays" has "$work/spill-keep.dot" "previous"

# an unwritable output path is an error; the old output stays
echo previous > "$work/keep.dot"
touch "$work/file"
check "output under a file" status_is 1 "$relmap" build -r "$mini" -o "$work/file/x.dot" -o "$work/keep.dot" corpus/a.txt
check "error names the path" has "$work/stderr" "file/x.dot: error: cannot write"

# a gazetteer of 100,000 entities (200,000 aliases) loads and matches
python3 -c "
with open('$work/big.rules', 'w') as f:
    f.write('relation r\n')
    for i in range(100000):
        f.write(f'entity person \"Person{i} Surname{i % 977}\" alias \"P{i}x\"\n')
    f.write('rule r: {SRC} met {TGT}\n')"
printf 'Person5 Surname5 met P77x.\n' > "$work/big-gazetteer.txt"
check "100,000 entities load" status_is 0 timeout 60 "$relmap" extract -r "$work/big.rules" "$work/big-gazetteer.txt"
check "and match" has "$work/stdout" "Person5 Surname5	r	Person77 Surname77"

echo "robust: $passed passed, $failed failed"
[ "$failed" = 0 ]
