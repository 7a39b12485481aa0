#!/usr/bin/env bash
# Release artifacts, built without Docker (README.md, "Installing"):
#
#   scripts/package.sh deb [ARCH...]  loraedge_V_ARCH.deb (the program) for amd64,
#                                     arm64, armhf (default: all three), and
#                                     loraedge-agent_V_all.deb and
#                                     loraedge-cloud_V_all.deb (the services)
#                                     → out/deb/
#   scripts/package.sh image          the cloud's OCI image, an index over
#                                     linux/amd64 and linux/arm64 → out/image/
#   scripts/package.sh version        print the package version
#
# Reproducible: SOURCE_DATE_EPOCH defaults to the last commit's time and
# every time stamp is taken from it, so equal sources give byte-identical
# .debs and the same image digest.
#
# Environment: DEB_VERSION (instead of the version derived from git),
# SOURCE_DATE_EPOCH, OUT (default out), GO (default go).
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
OUT=${OUT:-out}
NFPM_MODULE=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
export DEB_MAINTAINER="loraedge maintainers <maintainers@loraedge.invalid>"
DEB_ARCHS=(amd64 arm64 armhf)
IMAGE_ARCHS=(amd64 arm64)

die() { echo "package: $*" >&2; exit 1; }

# epoch: SOURCE_DATE_EPOCH, or the last commit's time.
epoch() {
	if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
		echo "$SOURCE_DATE_EPOCH"
	else
		git log -1 --format=%ct 2>/dev/null || die "not a git checkout: set SOURCE_DATE_EPOCH"
	fi
}

# version: DEB_VERSION, or one derived from git that sorts the way commits
# follow each other: a tag vX.Y.Z gives X.Y.Z, N commits after it
# X.Y.Z+gitN.HASH; with no tag, 0.0.0+gitYYYYMMDDhhmmss.HASH (commit time).
# "-" in a tag becomes "~" (1.0.0-rc1 → 1.0.0~rc1, before 1.0.0), and a
# tree with uncommitted changes gets ".dirty".
version() {
	if [ -n "${DEB_VERSION:-}" ]; then
		echo "$DEB_VERSION"
		return
	fi
	local hash tag n v
	hash=$(git rev-parse --short=7 HEAD 2>/dev/null) || die "not a git checkout: set DEB_VERSION"
	if tag=$(git describe --tags --match 'v[0-9]*' --abbrev=0 2>/dev/null); then
		n=$(git rev-list --count "$tag..HEAD")
		v=${tag#v}
		v=${v//-/\~}
		[ "$n" = 0 ] || v="$v+git$n.$hash"
	else
		v="0.0.0+git$(date -u -d "@$(epoch)" +%Y%m%d%H%M%S).$hash"
	fi
	if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
		v="$v.dirty"
	fi
	echo "$v"
}

# goenv ARCH: the GOARCH/GOARM of a Debian architecture.
goenv() {
	case "$1" in
	amd64) echo "GOARCH=amd64" ;;
	arm64) echo "GOARCH=arm64" ;;
	armhf) echo "GOARCH=arm GOARM=7" ;;
	*) die "unknown architecture $1 (want amd64, arm64 or armhf)" ;;
	esac
}

# binary ARCH: builds the static binary into $OUT/build/ARCH/loraedge, or
# reuses the one there when it was built from the same sources (go's cache
# knows: `go build` with nothing to do only links).
binary() {
	local arch=$1 v dir stamp
	v=$(version)
	dir=$OUT/build/$arch
	mkdir -p "$dir"
	# The stamp names what the binary was built from: the version, the Go
	# toolchain and the hash of every file of the tree (embedded files too).
	stamp=""
	if git rev-parse --git-dir >/dev/null 2>&1; then
		stamp="$v $("$GO" env GOVERSION) $(
			set +o pipefail # a tracked file deleted here is just not hashed
			git ls-files -z -co --exclude-standard | sort -z | xargs -0 -r sha256sum 2>/dev/null | sha256sum | cut -c1-16
		)"
	fi
	if [ -n "$stamp" ] && [ -x "$dir/loraedge" ] && [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$stamp" ]; then
		echo "$dir/loraedge"
		return
	fi
	rm -f "$dir/stamp"
	echo "package: building loraedge $v for linux/$arch" >&2
	# shellcheck disable=SC2046 # goenv's words are meant to split
	env CGO_ENABLED=0 GOOS=linux $(goenv "$arch") \
		"$GO" build -trimpath -ldflags "-s -w -X main.version=$v" -o "$dir/loraedge" ./cmd/loraedge
	echo "$stamp" >"$dir/stamp"
	echo "$dir/loraedge"
}

# hostbinary: a binary this machine runs (for the man page's command list).
hostbinary() {
	local a
	a=$("$GO" env GOARCH)
	case "$a" in
	arm) a=armhf ;;
	esac
	binary "$a"
}

# manpage BIN OUT: loraedge.1 with the commands `BIN help` lists.
manpage() {
	local bin=$1 out=$2 v date cmds
	v=$(version)
	date=$(date -u -d "@$(epoch)" +%Y-%m-%d)
	# `loraedge help` prints "  NAME  SUMMARY" lines after "commands:".
	cmds=$("$bin" help 2>&1 | awk '
		/^commands:/ { on = 1; next }
		on && /^  [a-z]/ {
			name = $1; $1 = ""; sub(/^ +/, "")
			gsub(/\\/, "\\e"); gsub(/-/, "\\-")
			printf ".TP\n.B %s\n%s\n", name, $0
		}')
	[ -n "$cmds" ] || die "$bin help listed no commands"
	awk -v v="$v" -v d="$date" -v c="$cmds" '
		{ gsub(/@VERSION@/, v); gsub(/@DATE@/, d) }
		/^@COMMANDS@$/ { print c; next }
		{ print }' packaging/loraedge.1.in >"$out"
}

# changelog PKG OUT: a Debian changelog whose one entry is this version,
# listing the last commits.
changelog() {
	local pkg=$1 out=$2 v
	v=$(version)
	{
		echo "$pkg ($v) unstable; urgency=medium"
		echo
		if git rev-parse HEAD >/dev/null 2>&1; then
			echo "  * Built from commit $(git rev-parse HEAD). Recent changes:"
			git log -n 15 --no-merges --format='%s' | while IFS= read -r s; do
				echo "$s" | fold -s -w 72 | sed -e '1s/^/    - /' -e '2,$s/^/      /' -e 's/ *$//'
			done
		else
			echo "  * Built from a source tree without history."
		fi
		echo
		echo " -- $DEB_MAINTAINER  $(LC_ALL=C date -u -R -d "@$(epoch)")"
	} >"$out"
}

# escape_module PATH: the module cache's spelling of a module path.
# shellcheck disable=SC2001 # \L (lower case) needs sed
escape_module() { sed -e 's/[A-Z]/!\L&/g' <<<"$1"; }

# copyright BIN OUT: packaging/copyright plus one paragraph per Go module
# linked into BIN (and the standard library), with each licence's text.
copyright() {
	local bin=$1 out=$2 modcache goroot mod ver dir name files f text holders
	modcache=$("$GO" env GOMODCACHE)
	goroot=$("$GO" env GOROOT)
	cp packaging/copyright "$out"
	# "std" first, then the modules in the order go version -m lists them.
	{
		echo "std $("$GO" env GOVERSION)"
		"$GO" version -m "$bin" | awk '$1 == "dep" { print $2, $3 } $1 == "=>" { print "replaced", $2 }'
	} | while read -r mod ver; do
		[ "$mod" != replaced ] || die "the binary holds a replaced module ($ver): name its licence by hand"
		name="" files=""
		read -r name files < <(awk -v m="$mod" '$1 == m { $1 = ""; print; exit }' packaging/licenses.txt) || true
		[ -n "${name:-}" ] || die "module $mod (in the binary) has no line in packaging/licenses.txt: look at its licence and add one"
		if [ "$mod" = std ]; then
			dir=$goroot
		else
			dir=$modcache/$(escape_module "$mod")@$ver
		fi
		holders=""
		text=""
		for f in $files; do
			[ -f "$dir/$f" ] || die "licence file $dir/$f missing (go mod download $mod@$ver)"
			holders+=$(grep -ihE '^[[:space:]]*copyright[[:space:]]+(\(c\)|©|[0-9])' "$dir/$f" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' || true)$'\n'
			text+=$(cat "$dir/$f")$'\n\n'
		done
		holders=$(grep -v '^$' <<<"$holders" | sort -u || true)
		text=$(printf '%s' "$text") # without the trailing blank lines
		[ -n "$holders" ] || holders="the authors of $mod"
		{
			echo
			if [ "$mod" = std ]; then
				echo "Files: go/*"
				echo "Comment: The Go standard library and runtime ($ver), linked into /usr/bin/loraedge."
			else
				echo "Files: $mod/*"
				echo "Comment: Go module $mod $ver, linked into /usr/bin/loraedge."
			fi
			echo "Copyright: $(head -n1 <<<"$holders")"
			tail -n +2 <<<"$holders" | sed 's/^/ /'
			echo "License: ${name//|/ or }"
			case "$name" in
			Apache-2.0)
				echo " On Debian systems, the full text of the Apache License, Version 2.0"
				echo " is in /usr/share/common-licenses/Apache-2.0."
				for f in $files; do
					case "$f" in
					NOTICE*)
						echo " ."
						echo " The module's $f file:"
						echo " ."
						sed -e 's/[[:space:]]*$//' -e 's/^$/./' -e 's/^/ /' "$dir/$f"
						;;
					esac
				done
				;;
			*)
				# DEP-5: text lines indented by one space, blank lines as " .".
				sed -e 's/[[:space:]]*$//' -e 's/^$/./' -e 's/^/ /' <<<"$text"
				;;
			esac
		} >>"$out"
	done
	# A failure inside the pipeline's subshell must stop us too.
	grep -q '^Files: go/\*' "$out" || die "copyright generation failed"
}

# agentconf OUT: the agent's example configuration with the package's paths.
agentconf() {
	local out=$1
	{
		echo "# /etc/loraedge/agent.toml: the loraedge-agent service's configuration."
		echo "# Set router_eui and tc.uri (and credentials) below, then"
		echo "#   systemctl restart loraedge-agent"
		echo "# The service runs as the loraedge user: make files it reads (tc.key, …)"
		echo "# readable by it, e.g. root:loraedge 0640 in /etc/loraedge."
		echo "# CUPS software updates: the service runs unprivileged (NoNewPrivileges,"
		echo "# a read-only system), so an update_command cannot install packages:"
		echo "# leave [params] update_command unset and upgrade with apt."
		echo "#"
		sed -e 's|^data_dir = "data"$|data_dir = "/var/lib/loraedge-agent"|' agent/agent.example.toml
	} >"$out"
	grep -q '^data_dir = "/var/lib/loraedge-agent"$' "$out" ||
		die "agent/agent.example.toml no longer has the line data_dir = \"data\": update agentconf() in $0"
}

# cloudconf OUT: the cloud's example configuration with the package's paths.
cloudconf() {
	local out=$1
	{
		echo "# /etc/loraedge/cloud.toml: the loraedge-cloud service's configuration."
		echo "# As shipped the cloud listens on the loopback interface only. For"
		echo "# gateways on other hosts set [gateways] listen (e.g. \":6039\") and"
		echo "# public_host (the name gateways reach this host by), then"
		echo "#   systemctl restart loraedge-cloud"
		echo "# The service runs as the loraedge-cloud user: make files it reads"
		echo "# (password_file, …) readable by it, e.g. root:loraedge-cloud 0640."
		echo "#"
		sed -e 's|^data_dir = "data"$|data_dir = "/var/lib/loraedge-cloud"|' cloud/cloud.example.toml
	} >"$out"
	grep -q '^data_dir = "/var/lib/loraedge-cloud"$' "$out" ||
		die "cloud/cloud.example.toml no longer has the line data_dir = \"data\": update cloudconf() in $0"
}

# nfpm PKG CONFIG OUT.deb [VAR=VALUE...]: runs nfpm on CONFIG with the
# variables it expands.
nfpm() {
	local pkg=$1 config=$2 out=$3
	shift 3
	rm -f "$out"
	env SOURCE_DATE_EPOCH="$(epoch)" DEB_VERSION="$(version)" "$@" \
		"$GO" run "$NFPM_MODULE" package --config "$config" --packager deb --target "$out" >&2 ||
		die "nfpm failed for $pkg"
	echo "$out"
}

# deb ARCH...: builds loraedge_VERSION_ARCH.deb for each ARCH, then
# loraedge-agent_VERSION_all.deb and loraedge-cloud_VERSION_all.deb.
deb() {
	local v arch bin stage pkg
	v=$(version)
	[ $# -gt 0 ] || set -- "${DEB_ARCHS[@]}"
	stage=$OUT/deb/stage
	rm -rf "$stage"
	mkdir -p "$OUT/deb"
	# What does not depend on the architecture.
	mkdir -p "$stage/common"
	manpage "$(hostbinary)" "$stage/common/loraedge.1"
	gzip -9n <"$stage/common/loraedge.1" >"$stage/common/loraedge.1.gz"
	for arch in "$@"; do
		bin=$(binary "$arch")
		mkdir -p "$stage/loraedge-$arch"
		cp "$bin" "$stage/loraedge-$arch/loraedge"
		cp "$stage/common/loraedge.1.gz" "$stage/loraedge-$arch/"
		copyright "$bin" "$stage/loraedge-$arch/copyright"
		changelog loraedge "$stage/loraedge-$arch/changelog"
		gzip -9n <"$stage/loraedge-$arch/changelog" >"$stage/loraedge-$arch/changelog.gz"
		nfpm loraedge packaging/loraedge/nfpm.yaml "$OUT/deb/loraedge_${v}_$arch.deb" \
			DEB_ARCH="$arch" STAGE="$stage/loraedge-$arch"
	done
	for pkg in agent cloud; do
		mkdir -p "$stage/$pkg"
		cp packaging/copyright "$stage/$pkg/copyright"
		changelog "loraedge-$pkg" "$stage/$pkg/changelog"
		gzip -9n <"$stage/$pkg/changelog" >"$stage/$pkg/changelog.gz"
		"${pkg}conf" "$stage/$pkg/$pkg.toml"
		nfpm "loraedge-$pkg" "packaging/$pkg/nfpm.yaml" "$OUT/deb/loraedge-${pkg}_${v}_all.deb" STAGE="$stage/$pkg"
	done
}

# image: the cloud's OCI layout and archive.
image() {
	local v e arch bins=() ca=()
	v=$(version)
	e=$(epoch)
	for arch in "${IMAGE_ARCHS[@]}"; do
		bins+=(-binary "linux/$arch=$(binary "$arch")")
	done
	# TLS to external brokers and webhooks needs CA roots; the build
	# machine's bundle goes in when it has one (Debian: ca-certificates).
	if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
		ca=(-ca-bundle /etc/ssl/certs/ca-certificates.crt)
	else
		echo "package: no /etc/ssl/certs/ca-certificates.crt: the image will have no CA roots" >&2
	fi
	mkdir -p "$OUT/image"
	"$GO" run ./packaging/image -out "$OUT/image/oci" -archive "$OUT/image/loraedge-cloud_${v}.oci.tar" \
		-version "$v" -epoch "$e" -revision "$(git rev-parse HEAD 2>/dev/null || true)" \
		-config packaging/image/cloud.toml "${ca[@]}" "${bins[@]}"
}

case "${1:-}" in
deb)
	shift
	deb "$@"
	;;
image) image ;;
version) version ;;
*)
	echo "usage: $0 deb [amd64|arm64|armhf ...] | image | version" >&2
	exit 2
	;;
esac
