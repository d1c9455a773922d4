#!/usr/bin/env bash
# From a saved edit to the verdict on screen, for one kata, warm: the companion's `watch` beside the plain
# `dotnet test tests/<Project>.Tests` loop, in the same run.
#
#   flock -o /tmp/memtests.lock benchmarks/companion-speed.sh [kata] [rounds]     (defaults: 02, 10)
#   (-o: the compiler server that the builds start must not inherit, and keep, the lock)
#
# Each round saves an edit to the kata and times it until the verdict: the odd rounds save the fix (the solution's files
# copied over the kata's, which `diff -r` says is only the fix), the even ones put the kata back from git. So half the
# verdicts are "solved" and half are the leak, as a learner sees them. Every round runs three loops, one after the other,
# so that they share whatever load the machine has at the time:
#   watch        the companion's `watch NN` (the built tools/Workshop, as `dotnet run --project tools/Workshop` starts it),
#                started once and kept warm; the time runs from the save to its verdict line in the output (the
#                companion's own debounce included);
#   watch (cli)  the same with WORKSHOP_BUILD=cli: the companion runs `dotnet build` per check instead of building in its
#                own process, to show what that saves;
#   dotnet test  `dotnet test tests/<Project>.Tests` after each save, to its exit.
# While one loop has its turn, the watches of the others are stopped (SIGSTOP). The first round warms every loop and is
# not counted. The result, with the machine's load, goes to benchmarks/results/CompanionSpeed.md.
set -euo pipefail
cd "$(dirname "$0")/.."

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
restore_kata() {
  git checkout -q -- "katas/$kata"
  git clean -fdq -- "katas/$kata"
}
cleanup() {
  for pid in "${watch_pids[@]}"; do
    kill -CONT "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  restore_kata
  rm -rf "$scratch"
}
trap cleanup EXIT

# The edit of round $1: odd rounds save the fix, even rounds put the kata back. Either way every file is written, even
# one that already has that content (the loop before may have saved the same edit): a save is a save.
save_edit() {
  if (( $1 % 2 == 1 )); then
    git ls-files "solutions/$kata" | grep -v -E '/(README|HINTS)\.md$' | while read -r file; do
      cp "$file" "katas/${file#solutions/}"
    done
  else
    git clean -fdq -- "katas/$kata"
    git ls-files "katas/$kata" | grep -v -E '/(README|HINTS)\.md$' | while read -r file; do
      git show "HEAD:$file" > "$file"
    done
  fi
}
expected() { if (( $1 % 2 == 1 )); then echo solved; else echo leak; fi; }
now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

verdicts() { grep -c -E "^(✓|✗) $id " "$1" || true; }

# In plain output, a check starts with a header line "── NN · …" and ends with a verdict line "✓ NN …" or "✗ NN …".
# The watch is idle once the last of these lines is a verdict, and stays so for a second.
wait_idle() {
  local log=$1 waited=0 stable=0
  while [ $stable -lt 10 ]; do
    sleep 0.1; waited=$((waited + 1))
    if grep -E "^(── $id · |✓ $id |✗ $id )" "$log" | tail -1 | grep -q -E "^(✓|✗)"; then stable=$((stable + 1)); else stable=0; fi
    if [ $waited -gt 3000 ]; then echo "the watch did not settle within 5 minutes:" >&2; tail -20 "$log" >&2; exit 1; fi
  done
}

# The two watches run side by side, each stopped (SIGSTOP) while another loop has its turn, so that every loop sees the
# same load: a round runs the three loops one after the other. A watch that resumes first checks what the other loops
# saved meanwhile; the round waits for that check before it saves its own edit.
declare -A watch_pids
start_watch() { # $1: the WORKSHOP_BUILD value
  local log="$scratch/watch-$1.log"
  : > "$log"
  WORKSHOP_BUILD=$1 dotnet tools/Workshop/bin/Debug/net10.0/Workshop.dll watch "$id" > "$log" 2>&1 < /dev/null &
  watch_pids[$1]=$!
  wait_idle "$log"
  kill -STOP "${watch_pids[$1]}"
}

watch_round() { # $1: the loop's name, $2: the WORKSHOP_BUILD value, $3: the round
  local name=$1 log="$scratch/watch-$2.log" pid=${watch_pids[$2]} round=$3
  local before start end verdict build_s tests_s
  kill -CONT "$pid"
  sleep 0.5
  wait_idle "$log"
  before=$(verdicts "$log")
  start=$(now)
  save_edit $((round + 1))
  until [ "$(verdicts "$log")" -gt "$before" ]; do
    sleep 0.05
    if [ "$(seconds "$start" "$(now)" | cut -d. -f1)" -gt 300 ]; then echo "no verdict 5 minutes after a save:" >&2; tail -20 "$log" >&2; exit 1; fi
  done
  end=$(now)
  kill -STOP "$pid"
  verdict=$(grep -E "^(✓|✗) $id " "$log" | tail -1)
  # The verdict line ends with "(build 0.9 s, tests 5.3 s)": the companion's own split of the time.
  build_s=$(sed -n 's/.*(build \([0-9.]*\) s.*/\1/p' <<< "$verdict")
  tests_s=$(sed -n 's/.*tests \([0-9.]*\) s).*/\1/p' <<< "$verdict")
  case "$verdict" in "✓"*) verdict=solved ;; *"not solved"*) verdict=leak ;; *) verdict="other: $verdict" ;; esac
  record "$name" "$round" "$(seconds "$start" "$end")" "$verdict" "$(expected $((round + 1)))" "${build_s:--}" "${tests_s:--}"
}

test_round() { # $1: the round
  local round=$1 start end code=0
  start=$(now)
  save_edit $((round + 1))
  dotnet test "$project" > "$scratch/test.log" 2>&1 || code=$?
  end=$(now)
  record "dotnet test" "$round" "$(seconds "$start" "$end")" "$([ $code -eq 0 ] && echo solved || echo leak)" "$(expected $((round + 1)))" - -
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
echo "Kata $kata, $rounds rounds after one warm-up round; load average at the start: $load_start"
restore_kata
start_watch inproc
start_watch cli
for round in $(seq 0 "$rounds"); do
  watch_round watch inproc "$round"
  watch_round "watch (cli)" cli "$round"
  test_round "$round"
  [ "$round" -ne $((rounds / 2)) ] || load_middle=$(load)
done
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
  echo "Measured by \`benchmarks/companion-speed.sh $id $rounds\` (run under \`flock -o /tmp/memtests.lock\`), $started."
  echo
  echo "- Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); .NET SDK $(dotnet --version)."
  echo "- Load average (1, 5, 15 min) at the start: $load_start; halfway: $load_middle; at the end: $load_end."
  echo "  The loops' own builds and tests make a load of about 2 to 3 on 2 cores; more means other work shared the machine."
  echo "- Kata $kata, tests \`$(basename "$project" .csproj)\`; $rounds counted rounds after one warm-up round. Each round runs the three"
  echo "  loops one after the other (the watches not in turn are stopped), so they share the machine's load; odd rounds save the"
  echo "  fix (verdict: solved), even rounds put the kata back (verdict: the leak)."
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
