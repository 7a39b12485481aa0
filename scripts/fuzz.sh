#!/usr/bin/env bash
# Runs every `go test -fuzz` target of the module for the given time each,
# one at a time (go test -fuzz takes a single target per package run).
set -euo pipefail
fuzztime=${1:-60s}
cd "$(dirname "$0")/.."
status=0
while IFS= read -r file; do
  pkg=./$(dirname "$file")
  for target in $(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | sed 's/^func //'); do
    echo "== $pkg $target ($fuzztime)"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"; then
      status=1
    fi
  done
done < <(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' | sort)
exit $status
