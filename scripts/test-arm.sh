#!/usr/bin/env bash
# Cross-compiles the SX1302 and SX1301 drivers (and their shared core) and their command for
# linux/arm64 and linux/arm (GOARM=7), then runs the drivers' tests under qemu user-mode
# emulation (Debian's qemu-user-static). Without qemu it skips the run,
# except under CI (CI=true), where a missing tool is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(./hal/sx1302/... ./hal/sx1301/... ./hal/internal/...)
GOOS=linux GOARCH=arm64 go build "${pkgs[@]}" ./cmd/loraedge
GOOS=linux GOARCH=arm GOARM=7 go build "${pkgs[@]}" ./cmd/loraedge
echo "cross-compile linux/arm64 and linux/arm (GOARM=7): ok"

qemu=""
for q in qemu-aarch64-static qemu-aarch64; do
	if command -v "$q" >/dev/null 2>&1; then
		qemu="$q"
		break
	fi
done
if [ -z "$qemu" ]; then
	if [ "${CI:-}" = "true" ]; then
		echo "test-arm: qemu-aarch64-static not found (apt-get install -y qemu-user-static)" >&2
		exit 1
	fi
	echo "test-arm: qemu-aarch64-static not found: skipping the arm64 test run"
	exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for pkg in ./hal/sx1302 ./hal/sx1301 ./hal/internal/sx130x ./hal/internal/sx130xtest; do
	bin="$tmp/$(basename "$pkg").test"
	GOOS=linux GOARCH=arm64 go test -c -o "$bin" "$pkg"
	# Run from the package directory, as go test does.
	if ! (cd "$pkg" && "$qemu" "$bin" -test.count=1); then
		echo "test-arm: $pkg failed under $qemu" >&2
		exit 1
	fi
done
echo "test-arm: hal/sx1302, hal/sx1301 and their shared core tests passed under $qemu (linux/arm64)"
