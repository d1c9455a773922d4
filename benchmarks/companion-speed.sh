#!/usr/bin/env bash
# From a saved edit to the verdict on screen, for one kata, warm: the companion's `watch` beside the plain
# `dotnet test tests/<Project>.Tests` loop, in the same run.
#
#   flock /tmp/memtests.lock benchmarks/companion-speed.sh [kata] [rounds]     (defaults: 02, 10)
#
# Each round saves an edit to the kata and times it until the verdict: the odd rounds save the fix (the solution's files
# copied over the kata's, which `diff -r` says is only the fix), the even ones put the kata back from git. So half the
# verdicts are "solved" and half are the leak, as a learner sees them. Three loops run one after the other:
#   watch        `dotnet run --project tools/Workshop -- watch NN`, started once; the time runs from the save to its
#                verdict line in the output (the companion's own debounce included);
#   watch (cli)  the same with WORKSHOP_BUILD=cli: the companion runs `dotnet build` per check instead of building in its
#                own process, to show what that saves;
#   dotnet test  `dotnet test tests/<Project>.Tests` after each save, to its exit.
# The first round of each loop warms it and is not counted. The result, with the machine's load, goes to
# benchmarks/results/CompanionSpeed.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

id=${1:-02}
rounds=${2:-10}
kata=$(cd katas && ls -d "${id}"-*/ 2>/dev/null | head -1 | tr -d /)
[ -n "$kata" ] || { kata=$id; }
[ -d "katas/$kata" ] && [ -d "solutions/$kata" ] || { echo "no kata and solution for '$id'" >&2; exit 2; }
id=${kata%%-*}
project=$(grep -l "<Kata>$kata</Kata>" tests/*/*.csproj | head -1)
[ -n "$project" ] || { echo "no test project names $kata" >&2; exit 2; }
if ! git diff --quiet -- "katas/$kata" || [ -n "$(git ls-files --others --exclude-standard -- "katas/$kata")" ]; then
  echo "katas/$kata has changes of yours: commit or reset them first (this script saves over them)." >&2
  exit 2
fi

scratch=$(mktemp -d)
watch_pid=
restore_kata() {
  git checkout -q -- "katas/$kata"
  git clean -fdq -- "katas/$kata"
}
cleanup() {
  if [ -n "$watch_pid" ]; then kill "$watch_pid" 2>/dev/null || true; wait "$watch_pid" 2>/dev/null || true; fi
  restore_kata
  rm -rf "$scratch"
}
trap cleanup EXIT

# The edit of round $1: odd rounds save the fix, even rounds put the kata back.
save_edit() {
  if (( $1 % 2 == 1 )); then
    git ls-files "solutions/$kata" | grep -v -E '/(README|HINTS)\.md$' | while read -r file; do
      cp "$file" "katas/${file#solutions/}"
    done
  else
    restore_kata
  fi
}
expected() { if (( $1 % 2 == 1 )); then echo solved; else echo leak; fi; }
now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

verdicts() { grep -c -E "^(✓|✗) $id " "$1" || true; }

# Runs the companion's watch loop; $1 names the loop, $2 is the WORKSHOP_BUILD value.
watch_loop() {
  local name=$1 build=$2 log="$scratch/watch-$2.log"
  : > "$log"
  restore_kata
  WORKSHOP_BUILD=$build dotnet run --project tools/Workshop -- watch "$id" > "$log" 2>&1 < /dev/null &
  watch_pid=$!
  local waited=0
  until [ "$(verdicts "$log")" -ge 1 ]; do
    sleep 0.2; waited=$((waited + 1))
    if [ $waited -gt 1500 ]; then echo "watch gave no first verdict in 5 minutes:" >&2; cat "$log" >&2; exit 1; fi
  done
  for round in $(seq 0 "$rounds"); do
    local before start end verdict
    before=$(verdicts "$log")
    sleep 1
    start=$(now)
    save_edit $((round + 1))
    until [ "$(verdicts "$log")" -gt "$before" ]; do
      sleep 0.05
      if [ "$(seconds "$start" "$(now)" | cut -d. -f1)" -gt 300 ]; then echo "no verdict 5 minutes after a save:" >&2; cat "$log" >&2; exit 1; fi
    done
    end=$(now)
    verdict=$(grep -E "^(✓|✗) $id " "$log" | tail -1)
    # The verdict line ends with "(build 0.9 s, tests 5.3 s)": the companion's own split of the time.
    local build_s tests_s
    build_s=$(sed -n 's/.*(build \([0-9.]*\) s.*/\1/p' <<< "$verdict")
    tests_s=$(sed -n 's/.*tests \([0-9.]*\) s).*/\1/p' <<< "$verdict")
    case "$verdict" in "✓"*) verdict=solved ;; *"not solved"*) verdict=leak ;; *) verdict="other: $verdict" ;; esac
    record "$name" "$round" "$(seconds "$start" "$end")" "$verdict" "$(expected $((round + 1)))" "${build_s:--}" "${tests_s:--}"
  done
  kill "$watch_pid"; wait "$watch_pid" 2>/dev/null || true; watch_pid=
}

test_loop() {
  restore_kata
  for round in $(seq 0 "$rounds"); do
    local start end code=0
    start=$(now)
    save_edit $((round + 1))
    dotnet test "$project" > "$scratch/test.log" 2>&1 || code=$?
    end=$(now)
    record "dotnet test" "$round" "$(seconds "$start" "$end")" "$([ $code -eq 0 ] && echo solved || echo leak)" "$(expected $((round + 1)))" - -
  done
  restore_kata
}

results="$scratch/results.tsv"
record() { # loop, round, seconds, verdict, expected, build seconds, test seconds (as the companion reports them)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$results"
  printf '  %-12s round %2s  %6s s  %-6s  build %4s s, tests %4s s%s\n' "$1" "$2" "$3" "$4" "$6" "$7" "$([ "$4" = "$5" ] && echo "" || echo "  (expected $5)")"
}

echo "Building the companion and $(basename "$project" .csproj)..."
dotnet build tools/Workshop -nologo -v:q > /dev/null
dotnet build "$project" -nologo -v:q > /dev/null
load_start=$(load)
started=$(date -u +"%Y-%m-%d %H:%M UTC")
echo "Kata $kata, $rounds rounds per loop after one warm-up round; load average at the start: $load_start"
watch_loop watch inproc
load_middle=$(load)
watch_loop "watch (cli)" cli
test_loop
load_end=$(load)

median() { # loop name, column (3: the whole, 6: the build, 7: the tests) → median of the counted rounds
  awk -F'\t' -v loop="$1" -v column="${2:-3}" '$1 == loop && $2 > 0 && $column != "-" { print $column }' "$results" | sort -n |
    awk '{ v[NR] = $1 } END { if (NR == 0) { print "-" } else if (NR % 2) { print v[(NR + 1) / 2] } else { printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'
}
stat() { # loop, min|max
  awk -F'\t' -v loop="$1" '$1 == loop && $2 > 0 { print $3 }' "$results" | sort -n | { if [ "$2" = min ]; then head -1; else tail -1; fi; }
}
mismatches=$(awk -F'\t' '$4 != $5' "$results" | wc -l)

out=benchmarks/results/CompanionSpeed.md
{
  echo "# The companion's speed: from a saved edit to the verdict"
  echo
  echo "Measured by \`benchmarks/companion-speed.sh $id $rounds\` (run under \`flock /tmp/memtests.lock\`), $started."
  echo
  echo "- Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); .NET SDK $(dotnet --version)."
  echo "- Load average (1, 5, 15 min) at the start: $load_start; between the two watch loops: $load_middle; at the end: $load_end."
  echo "  Other work ran on the machine at the same time; the lock kept only the memory tests of others out."
  echo "- Kata $kata, tests \`$(basename "$project" .csproj)\`; $rounds counted rounds per loop after one warm-up round; odd rounds save the fix"
  echo "  (verdict: solved), even rounds put the kata back (verdict: the leak)."
  echo
  echo "| loop | median | fastest | slowest | median build | median tests |"
  echo "|---|---|---|---|---|---|"
  for loop in "watch" "watch (cli)" "dotnet test"; do
    echo "| $loop | $(median "$loop") s | $(stat "$loop" min) s | $(stat "$loop" max) s | $(median "$loop" 6) | $(median "$loop" 7) |"
  done
  echo
  echo "- **watch**: \`dotnet run --project tools/Workshop -- watch $id\`, from the save to its verdict line: the 300 ms debounce, the build"
  echo "  in the companion's own process (the SDK's MSBuild, kept loaded, with the compiler server), and the test assembly run directly"
  echo "  (\`dotnet exec <Tests>.dll -xml …\`)."
  echo "- **watch (cli)**: the same, with \`WORKSHOP_BUILD=cli\`: a \`dotnet build --no-restore\` per check."
  echo "- **dotnet test**: \`dotnet test $project\`, from the save to its exit."
  echo "- The build and test columns are the companion's own split of a check, as its verdict line reports it; the rest of the"
  echo "  time is the debounce, starting the test process and printing."
  if [ "$mismatches" -gt 0 ]; then
    echo
    echo "$mismatches round(s) gave another verdict than expected: see the rounds below."
  fi
  echo
  echo "<details>"
  echo "<summary>Every round</summary>"
  echo
  echo "| loop | round | seconds | build | tests | verdict | expected |"
  echo "|---|---|---|---|---|---|---|"
  awk -F'\t' '{ printf "| %s | %s%s | %s | %s | %s | %s | %s |\n", $1, $2, ($2 == 0 ? " (warm-up)" : ""), $3, $6, $7, $4, $5 }' "$results"
  echo
  echo "</details>"
} > "$out"
echo
cat "$out" | sed -n '/^| loop | median/,/^$/p'
echo "Written to $out"
