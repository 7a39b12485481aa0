#!/usr/bin/env bash
# `make test-packaging`: builds the loraedge-agent .debs and the cloud's
# OCI image the way `make deb` and `make image` do, then tests them:
#   - dpkg-deb -I/-c: fields, conffile, maintainer scripts, contents, time stamps;
#   - each binary: its architecture, static, `loraedge version` (ARM ones
#     under qemu-user-static, storing a gateway in bbolt);
#   - lintian: no error or warning; the unit passes systemd-analyze verify;
#   - reproducible: a second build gives the same .deb and the same image;
#   - on this machine (root): install (unit enabled, user in the spi/gpio
#     groups, the agent runs as that user from the shipped config), upgrade
#     to a second version with a locally changed conffile (--force-confold),
#     remove, purge (nothing left behind);
#   - the image under podman (runc): non-root, /healthz answers on
#     127.0.0.1, the admin CLI works inside, a clean stop on SIGTERM.
#
# It installs and purges the loraedge-agent package on this machine, and
# writes /etc/containers/containers.conf when there is none (podman here
# needs runc and lower ulimits). Tools: dpkg-deb, lintian, qemu-user-static,
# podman, runc, curl. When CI=true a missing tool is a failure; otherwise
# the checks that need it are skipped, saying so.
# shellcheck disable=SC2016 # the bash -c snippets expand their own "$1"…
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
export GO=${GO:-go}
OUT=${OUT:-out}
T=$OUT/test-packaging
rm -rf "$T"
mkdir -p "$T"
T=$(realpath "$T")

pass=0 fail=0 skip=0
ok() { echo "ok    $*"; pass=$((pass + 1)); }
bad() { echo "FAIL  $*"; fail=$((fail + 1)); }
skip() {
	if [ "${CI:-}" = true ]; then
		bad "$* (CI=true: a missing tool or right is a failure)"
	else
		echo "skip  $*"
		skip=$((skip + 1))
	fi
}
# check NAME CMD...: runs CMD, ok when it succeeds.
check() {
	local name=$1
	shift
	if "$@" >"$T/check.log" 2>&1; then
		ok "$name"
	else
		bad "$name"
		sed 's/^/      /' "$T/check.log" | tail -n 20
	fi
}
# eq NAME GOT WANT
eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi
}
have() { command -v "$1" >/dev/null 2>&1; }
finish() {
	echo
	echo "test-packaging: $pass passed, $fail failed, $skip skipped"
	[ "$fail" = 0 ]
}

start=$(date +%s)
version=$(scripts/package.sh version)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
export DEB_VERSION=$version
echo "test-packaging: version $version, SOURCE_DATE_EPOCH $SOURCE_DATE_EPOCH"

for tool in dpkg-deb dpkg gzip git curl; do
	have "$tool" || { bad "$tool is required"; finish; exit 1; }
done

# --- build ------------------------------------------------------------
archs=(amd64 arm64 armhf)
if ! scripts/package.sh deb "${archs[@]}" >"$T/deb.log" 2>&1; then
	bad "scripts/package.sh deb"
	tail -n 30 "$T/deb.log"
	finish
	exit 1
fi
ok "built the .debs: $(cd "$OUT/deb" && echo *.deb)"
deb_of() { echo "$OUT/deb/loraedge-agent_${version}_$1.deb"; }

# --- dpkg-deb -I / -c, binaries -------------------------------------------
stamp_date=$(date -u -d "@$SOURCE_DATE_EPOCH" '+%Y-%m-%d %H:%M')
declare -A machine=([amd64]=62 [arm64]=183 [armhf]=40) # ELF e_machine
declare -A qemu=([arm64]=qemu-aarch64-static [armhf]=qemu-arm-static)
host_arch=$(dpkg --print-architecture)
for arch in "${archs[@]}"; do
	deb=$(deb_of "$arch")
	if [ ! -f "$deb" ]; then
		bad "$arch: $deb missing"
		continue
	fi
	eq "$arch: Package" "$(dpkg-deb -f "$deb" Package)" loraedge-agent
	eq "$arch: Version" "$(dpkg-deb -f "$deb" Version)" "$version"
	eq "$arch: Architecture" "$(dpkg-deb -f "$deb" Architecture)" "$arch"
	eq "$arch: Depends" "$(dpkg-deb -f "$deb" Depends)" adduser
	info=$(dpkg-deb -I "$deb")
	for f in conffiles postinst prerm postrm md5sums; do
		check "$arch: control member $f" grep -qE "^ +[0-9]+ bytes, +[0-9]+ lines +(\* +)?$f\b" <<<"$info"
	done
	eq "$arch: conffiles" "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" /etc/loraedge/agent.toml
	list=$(dpkg-deb -c "$deb")
	for want in \
		"-rwxr-xr-x root/root .* ./usr/bin/loraedge" \
		"-rw-r--r-- root/root .* ./lib/systemd/system/loraedge-agent.service" \
		"-rw-r--r-- root/root .* ./etc/loraedge/agent.toml" \
		"-rw-r--r-- root/root .* ./usr/share/doc/loraedge-agent/copyright" \
		"-rw-r--r-- root/root .* ./usr/share/doc/loraedge-agent/changelog.gz" \
		"-rw-r--r-- root/root .* ./usr/share/man/man1/loraedge.1.gz" \
		"-rw-r--r-- root/root .* ./usr/share/lintian/overrides/loraedge-agent"; do
		check "$arch: contains ${want##* ./}" grep -qE "^$want$" <<<"$list"
	done
	check "$arch: nothing under /var (state is made by postinst)" bash -c "! grep -q ' ./var/' <<<\"\$1\"" _ "$list"
	check "$arch: every time stamp is SOURCE_DATE_EPOCH ($stamp_date)" bash -c "! grep -v ' $stamp_date ' <<<\"\$1\" | grep -q ." _ "$list"

	x=$T/x-$arch
	dpkg-deb -x "$deb" "$x"
	bin=$x/usr/bin/loraedge
	eq "$arch: ELF machine" "$(od -An -t u2 -j 18 -N 2 "$bin" | tr -d ' ')" "${machine[$arch]}"
	check "$arch: static (CGO_ENABLED=0, no interpreter)" bash -c \
		"'$GO' version -m '$bin' | grep -q 'CGO_ENABLED=0' && ! grep -q 'ld-linux' '$bin'"
	check "$arch: copyright names every Go module in the binary" bash -c '
		for m in $("$1" version -m "$2" | awk "\$1 == \"dep\" { print \$2 }"); do
			grep -qx "Files: $m/\*" "$3" || { echo "missing $m"; exit 1; }
		done' _ "$GO" "$bin" "$x/usr/share/doc/loraedge-agent/copyright"
	eq "$arch: changelog entry" "$(zcat "$x/usr/share/doc/loraedge-agent/changelog.gz" | head -n1)" \
		"loraedge-agent ($version) unstable; urgency=medium"
	eq "$arch: conffile data_dir" "$(grep '^data_dir' "$x/etc/loraedge/agent.toml")" 'data_dir = "/var/lib/loraedge-agent"'
	if [ "$arch" = "$host_arch" ]; then
		eq "$arch: loraedge version" "$("$bin" version)" "loraedge $version"
		# Every command `loraedge help` lists is in the man page.
		check "$arch: man page lists every command" bash -c '
			for c in $("$1" help 2>&1 | awk "/^commands:/ { on = 1; next } on && /^  [a-z]/ { print \$1 }"); do
				zcat "$2" | grep -qx ".B $c" || { echo "missing $c"; exit 1; }
			done' _ "$bin" "$x/usr/share/man/man1/loraedge.1.gz"
	elif [ -n "${qemu[$arch]:-}" ]; then
		q=${qemu[$arch]}
		if have "$q"; then
			eq "$arch: loraedge version under $q" "$("$q" "$bin" version 2>&1)" "loraedge $version"
			d=$T/store-$arch
			mkdir -p "$d"
			check "$arch: gateway add + list under $q (bbolt, sealed keys)" bash -c '
				"$1" "$2" gateway add --eui 0016c001ff10a235 --region EU868 --data "$3" &&
				"$1" "$2" gateway list --data "$3" | grep -q "^0016c001ff10a235 *EU868"' _ "$q" "$bin" "$d"
		else
			skip "$arch: $q not found (apt-get install qemu-user-static)"
		fi
	fi
done

# --- lintian ---------------------------------------------------------------
if have lintian; then
	# Errors and warnings fail; info tags are printed for the record.
	debs=()
	for a in "${archs[@]}"; do debs+=("$(deb_of "$a")"); done
	if lintian --fail-on error,warning --pedantic -I "${debs[@]}" >"$T/lintian.log" 2>&1; then
		ok "lintian: no error or warning"
	else
		bad "lintian"
	fi
	grep -E '^[EWIP]: ' "$T/lintian.log" | sort -u | sed 's/^/      /' || true
else
	skip "lintian not found (apt-get install lintian)"
fi

# --- reproducible ---------------------------------------------------------------
if OUT=$T/repro scripts/package.sh deb "$host_arch" >"$T/repro-deb.log" 2>&1; then
	check "reproducible: a second $host_arch .deb is byte-identical" cmp "$(deb_of "$host_arch")" "$T/repro/deb/loraedge-agent_${version}_$host_arch.deb"
else
	bad "second .deb build"
	tail -n 20 "$T/repro-deb.log"
fi

# --- install, upgrade, remove, purge on this machine ---------------------------
unit=/lib/systemd/system/loraedge-agent.service
wants=/etc/systemd/system/multi-user.target.wants/loraedge-agent.service
created_groups=()
cleanup_machine() {
	if dpkg-query -W -f='${Status}' loraedge-agent 2>/dev/null | grep -qv 'not-installed'; then
		dpkg --purge loraedge-agent >/dev/null 2>&1 || true
	fi
	for g in "${created_groups[@]}"; do groupdel "$g" 2>/dev/null || true; done
	if [ -n "${agent_pid:-}" ]; then kill "$agent_pid" 2>/dev/null || true; fi
	if [ -n "${container:-}" ]; then podman rm -f -v "$container" >/dev/null 2>&1 || true; fi
	if [ -n "${image_ref:-}" ]; then podman rmi -f "$image_ref" >/dev/null 2>&1 || true; fi
}
trap cleanup_machine EXIT

if [ "$(id -u)" != 0 ]; then
	skip "install tests: need root (dpkg -i)"
else
	deb1=$(deb_of "$host_arch")
	if dpkg-query -W -f='${Status}' loraedge-agent 2>/dev/null | grep -q 'installed'; then
		echo "test-packaging: loraedge-agent is installed here: purging it first"
		dpkg --purge loraedge-agent >/dev/null
	fi
	# The groups a Raspberry Pi has: make spi and gpio (not i2c) when
	# missing, to see the user join existing groups only.
	for g in spi gpio; do
		if ! getent group "$g" >/dev/null; then
			groupadd --system "$g"
			created_groups+=("$g")
		fi
	done
	i2c_existed=no
	getent group i2c >/dev/null && i2c_existed=yes

	export DEBIAN_FRONTEND=noninteractive
	check "dpkg -i $(basename "$deb1")" dpkg -i "$deb1"
	eq "installed version" "$(dpkg-query -W -f='${Version} ${Status}' loraedge-agent)" "$version install ok installed"
	check "unit file installed" test -f "$unit"
	eq "unit enabled: wants symlink" "$(readlink "$wants" 2>/dev/null)" "$unit"
	eq "systemctl is-enabled" "$(systemctl is-enabled loraedge-agent.service 2>/dev/null || true)" enabled
	check "systemd-analyze verify" systemd-analyze verify --man=no "$unit"
	check "user loraedge: system account, no login" bash -c \
		'IFS=: read -r _ _ uid _ _ home shell < <(getent passwd loraedge) && [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/loraedge-agent ] && [ "$shell" = /usr/sbin/nologin ]'
	groups_of=" $(id -nG loraedge 2>/dev/null || true) "
	check "user loraedge in spi and gpio" bash -c "[[ '$groups_of' == *' spi '* && '$groups_of' == *' gpio '* ]]"
	if [ "$i2c_existed" = no ]; then
		check "user loraedge not in a missing i2c group" bash -c "[[ '$groups_of' != *' i2c '* ]]"
	fi
	eq "state directory" "$(stat -c '%U:%G %a' /var/lib/loraedge-agent 2>&1)" "loraedge:loraedge 750"
	eq "loraedge --version" "$(loraedge --version 2>&1)" "loraedge $version"
	eq "conffile registered" "$(dpkg-query -W -f='${Conffiles}' loraedge-agent | awk '{print $1}' | grep .)" /etc/loraedge/agent.toml

	# The agent runs as its user from the shipped configuration (with a
	# server URI nothing listens on) and writes agent.db in its state dir.
	cfgdir=$(mktemp -d "$T/agentcfg.XXXX")
	chmod 755 "$cfgdir"
	awk '/^\[/ { s = $0 } s == "[tc]" && /^uri = ""$/ { print "uri = \"ws://127.0.0.1:9\""; next } { print }' \
		/etc/loraedge/agent.toml >"$cfgdir/agent.toml"
	chmod 644 "$cfgdir/agent.toml"
	(cd /var/lib/loraedge-agent && exec runuser -u loraedge -- /usr/bin/loraedge agent --config "$cfgdir/agent.toml") >"$T/agent.log" 2>&1 &
	agent_pid=$!
	for _ in $(seq 300); do # up to 30 s on a loaded machine
		grep -q 'msg="agent starting"' "$T/agent.log" && break
		kill -0 "$agent_pid" 2>/dev/null || break
		sleep 0.1
	done
	check "agent starts as loraedge from the shipped conffile" grep -q 'msg="agent starting"' "$T/agent.log"
	kill "$agent_pid" 2>/dev/null || true
	wait "$agent_pid" 2>/dev/null || true
	agent_pid=
	eq "agent.db in the state directory" "$(stat -c '%U %a' /var/lib/loraedge-agent/agent.db 2>&1)" "loraedge 600"

	# Upgrade: a second version whose default configuration changed, over a
	# locally changed conffile, non-interactively.
	version2="$version+upgradetest"
	if OUT=$T/v2 DEB_VERSION=$version2 scripts/package.sh deb "$host_arch" >"$T/v2.log" 2>&1; then
		r=$T/v2/raw
		dpkg-deb -R "$T/v2/deb/loraedge-agent_${version2}_$host_arch.deb" "$r"
		echo "# a default added in $version2" >>"$r/etc/loraedge/agent.toml"
		(cd "$r" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
		deb2=$T/v2/loraedge-agent_${version2}_$host_arch.deb
		dpkg-deb --root-owner-group -b "$r" "$deb2" >/dev/null
		echo "# changed here" >>/etc/loraedge/agent.toml
		check "upgrade: dpkg -i --force-confold (no prompt)" dpkg -i --force-confold "$deb2" </dev/null
		eq "upgrade: version" "$(dpkg-query -W -f='${Version}' loraedge-agent)" "$version2"
		eq "upgrade: loraedge --version" "$(loraedge --version 2>&1)" "loraedge $version2"
		eq "upgrade: local conffile kept" "$(tail -n1 /etc/loraedge/agent.toml)" "# changed here"
		eq "upgrade: new default beside it" "$(tail -n1 /etc/loraedge/agent.toml.dpkg-dist 2>&1)" "# a default added in $version2"
		eq "upgrade: unit still enabled" "$(readlink "$wants" 2>/dev/null)" "$unit"
		check "upgrade: agent.db kept" test -f /var/lib/loraedge-agent/agent.db
	else
		bad "build of a second version"
		tail -n 20 "$T/v2.log"
	fi

	check "dpkg -r" dpkg -r loraedge-agent
	eq "remove: status" "$(dpkg-query -W -f='${Status}' loraedge-agent)" "deinstall ok config-files"
	check "remove: binary and unit gone" bash -c "[ ! -e /usr/bin/loraedge ] && [ ! -e '$unit' ]"
	check "remove: conffile kept" test -f /etc/loraedge/agent.toml
	check "remove: unit masked" bash -c '[ "$(readlink /etc/systemd/system/loraedge-agent.service)" = /dev/null ]'

	check "dpkg -P" dpkg --purge loraedge-agent
	eq "purge: status" "$(dpkg-query -W -f='${Status}' loraedge-agent 2>/dev/null || echo gone)" "gone"
	check "purge: user and group gone" bash -c '! getent passwd loraedge && ! getent group loraedge && ! grep -q "^loraedge:\|[:,]loraedge\(,\|$\)" /etc/group'
	left=$(find /etc /lib /usr /var /run -xdev \( -path "$repo" -o -path /var/cache/man -o -path /var/lib/containers -o -path /run/containers -o -path /run/libpod \) -prune -o -name '*loraedge*' -print 2>/dev/null || true)
	eq "purge: no file named *loraedge* left in /etc /lib /usr /var /run" "$left" ""
fi

# --- image -------------------------------------------------------------------
if scripts/package.sh image >"$T/image.log" 2>&1; then
	digest=$(awk '/ sha256:/ { print $2 }' "$T/image.log")
	ok "built the image: index $digest"
else
	bad "scripts/package.sh image"
	tail -n 20 "$T/image.log"
fi
archive=$OUT/image/loraedge-cloud_${version}.oci.tar
if OUT=$T/repro scripts/package.sh image >"$T/repro-image.log" 2>&1; then
	eq "reproducible: the same image index twice" "$(awk '/ sha256:/ { print $2 }' "$T/repro-image.log")" "${digest:-}"
	check "reproducible: byte-identical OCI archives" cmp "$archive" "$T/repro/image/loraedge-cloud_${version}.oci.tar"
else
	bad "second image build"
	tail -n 20 "$T/repro-image.log"
fi

if ! have podman || ! have runc; then
	skip "image under podman: podman or runc not found (apt-get install podman runc)"
elif [ "$(id -u)" != 0 ]; then
	skip "image under podman: need root"
elif [ ! -f "$archive" ]; then
	bad "image under podman: no archive $archive"
else
	if [ ! -f /etc/containers/containers.conf ]; then
		mkdir -p /etc/containers
		cat >/etc/containers/containers.conf <<-'EOF'
			# Written by loraedge's scripts/test-packaging.sh: podman on these
			# machines needs runc and lower ulimits.
			[containers]
			default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

			[engine]
			runtime = "runc"
		EOF
		echo "test-packaging: wrote /etc/containers/containers.conf"
	fi
	# podman names the image after the layout's ref (NAME:TAG).
	image_ref="localhost/$(grep -o '"org.opencontainers.image.ref.name": *"[^"]*"' "$OUT/image/oci/index.json" | sed -e 's/.*: *"//' -e 's/"$//')"
	container=loraedge-test-$$
	if podman run -d --name "$container" -p 127.0.0.1::6040 "oci-archive:$archive" >"$T/podman.log" 2>&1; then
		ok "podman run oci-archive:$(basename "$archive")"
		port=$(podman port "$container" 6040/tcp | head -n1)
		health=""
		for _ in $(seq 150); do
			health=$(curl -fsS -m 2 "http://$port/healthz" 2>/dev/null) && break
			[ "$(podman inspect -f '{{.State.Running}}' "$container")" = true ] || break
			sleep 0.2
		done
		eq "container: GET http://$port/healthz" "$health" '{"status":"ok"}'
		eq "container: runs as" "$(podman top "$container" huser 2>/dev/null | tail -n1 | tr -d ' ')" 65532
		eq "container: platform" "$(podman image inspect -f '{{.Os}}/{{.Architecture}}' "$image_ref" 2>&1)" "linux/$("$GO" env GOARCH)"
		eq "container: loraedge version" "$(podman exec "$container" loraedge version 2>&1)" "loraedge $version"
		check "container: admin CLI through the API" bash -c \
			"podman exec '$container' loraedge gateway list --api http://127.0.0.1:6040 --api-token-file /data/api-token | grep -q '^EUI'"
		check "container: podman stop (SIGTERM)" podman stop -t 20 "$container"
		eq "container: exit code" "$(podman inspect -f '{{.State.ExitCode}}' "$container")" 0
		check "container: stopped cleanly" bash -c "podman logs '$container' 2>&1 | grep -q 'msg=\"cloud stopped\"'"
	else
		bad "podman run"
		tail -n 20 "$T/podman.log"
	fi
fi

echo "test-packaging: took $(($(date +%s) - start)) s"
finish
