#!/usr/bin/env bash
# `make test-packaging`: builds the .debs (loraedge per architecture,
# loraedge-agent and loraedge-cloud) and the cloud's OCI image the way
# `make deb` and `make image` do, from one snapshot of the tree (so that a
# tree others edit meanwhile cannot mix sources), then tests them:
#   - dpkg-deb -I/-c: fields, conffiles, maintainer scripts, contents,
#     time stamps;
#   - each binary: its architecture, static, `loraedge version` (ARM ones
#     under qemu-user-static, storing a gateway in bbolt);
#   - lintian: no error or warning; the units pass systemd-analyze verify
#     and stay under an exposure of 2.0 (agent) and 1.5 (cloud) in
#     systemd-analyze security;
#   - reproducible: a second build from a copy of the snapshot elsewhere
#     gives the same .debs and the same image;
#   - on this machine (root): the take-over of /usr/bin/loraedge from a
#     loraedge-agent of before the split; install (units enabled, users, the
#     agent user in the spi/gpio groups, the agent and the cloud running as
#     their users from the shipped configurations, the cloud's /healthz on
#     127.0.0.1 and the admin CLI through its API); upgrade of the program
#     alone (the services' trigger runs), then of the services with a
#     locally changed conffile (--force-confold); remove; purge (nothing
#     left behind);
#   - the image under podman (runc): non-root, /healthz answers on
#     127.0.0.1, the admin CLI works inside, a clean stop on SIGTERM.
#
# It installs and purges the loraedge packages on this machine, and writes
# /etc/containers/containers.conf when there is none (podman here needs
# runc and lower ulimits). Tools: dpkg-deb, lintian, qemu-user-static,
# podman, runc, curl, systemd-analyze. When CI=true a missing tool is a
# failure; otherwise the checks that need it are skipped, saying so.
# shellcheck disable=SC2016 # the bash -c snippets expand their own "$1"…
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
export GO=${GO:-go}
OUT=${OUT:-out}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
T=$OUT/test-packaging
rm -rf "$T"
mkdir -p "$T"

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

for tool in dpkg-deb dpkg gzip git curl tar setpriv; do
	have "$tool" || { bad "$tool is required"; finish; exit 1; }
done

# --- snapshot -----------------------------------------------------------
# The tracked and untracked (not ignored) files and the git directory (for
# the changelog's commit list), copied once.
snapshot() {
	local dst=$1
	mkdir -p "$dst"
	git ls-files -z -co --exclude-standard |
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$dst"
	cp -a "$(git rev-parse --git-dir)" "$dst/.git"
}
src=$T/src
snapshot "$src"
echo "test-packaging: building from a snapshot of the tree in $src"

# --- build ------------------------------------------------------------
archs=(amd64 arm64 armhf)
rm -f "$OUT"/deb/*.deb
if ! (cd "$src" && OUT=$OUT scripts/package.sh deb "${archs[@]}") >"$T/deb.log" 2>&1; then
	bad "scripts/package.sh deb"
	tail -n 30 "$T/deb.log"
	finish
	exit 1
fi
ok "built the .debs: $(cd "$OUT/deb" && echo *.deb)"
# deb_of PKG ARCH [DIR]
deb_of() { echo "${3:-$OUT/deb}/${1}_${version}_$2.deb"; }

# --- dpkg-deb -I / -c ----------------------------------------------------
stamp_date=$(date -u -d "@$SOURCE_DATE_EPOCH" '+%Y-%m-%d %H:%M')
# members DEB WANT...: the control archive holds exactly WANT (and control).
members() {
	local deb=$1 got want
	shift
	got=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t | sed -e 's|^\./||' -e '/^$/d' | sort | tr '\n' ' ')
	want=$(printf '%s\n' control "$@" | sort | tr '\n' ' ')
	[ "$got" = "$want" ] || { echo "control members: $got; want $want"; return 1; }
}
# contents NAME DEB LINE...: each "MODE OWNER PATH" is in dpkg-deb -c, and
# every file of the package is one of them.
contents() {
	local name=$1 deb=$2 list want files
	shift 2
	list=$(dpkg-deb -c "$deb")
	for want in "$@"; do
		check "$name: contains ${want##* ./}" grep -qxF -e "$want" <<<"$(awk '{ print $1, $2, $6 }' <<<"$list")"
	done
	files=$(awk '$1 !~ /^d/ { print $6 }' <<<"$list" | sort | tr '\n' ' ')
	want=$(printf '%s\n' "$@" | awk '{ print $3 }' | sort | tr '\n' ' ')
	eq "$name: no other file" "$files" "$want"
	check "$name: nothing under /var (state is made by postinst)" bash -c "! grep -q ' ./var/' <<<\"\$1\"" _ "$list"
	check "$name: every time stamp is SOURCE_DATE_EPOCH ($stamp_date)" bash -c "! grep -v ' $stamp_date ' <<<\"\$1\" | grep -q ." _ "$list"
}

declare -A machine=([amd64]=62 [arm64]=183 [armhf]=40) # ELF e_machine
declare -A qemu=([arm64]=qemu-aarch64-static [armhf]=qemu-arm-static)
host_arch=$(dpkg --print-architecture)
for arch in "${archs[@]}"; do
	deb=$(deb_of loraedge "$arch")
	if [ ! -f "$deb" ]; then
		bad "loraedge $arch: $deb missing"
		continue
	fi
	n="loraedge $arch"
	eq "$n: Package" "$(dpkg-deb -f "$deb" Package)" loraedge
	eq "$n: Version" "$(dpkg-deb -f "$deb" Version)" "$version"
	eq "$n: Architecture" "$(dpkg-deb -f "$deb" Architecture)" "$arch"
	eq "$n: Depends (none: static)" "$(dpkg-deb -f "$deb" Depends)" ""
	eq "$n: Replaces (the binary of older loraedge-agent packages)" "$(dpkg-deb -f "$deb" Replaces)" "loraedge-agent (<< $version)"
	check "$n: control members (no maintainer script, no conffile)" members "$deb" md5sums
	contents "$n" "$deb" \
		"-rwxr-xr-x root/root ./usr/bin/loraedge" \
		"-rw-r--r-- root/root ./usr/share/doc/loraedge/copyright" \
		"-rw-r--r-- root/root ./usr/share/doc/loraedge/changelog.gz" \
		"-rw-r--r-- root/root ./usr/share/man/man1/loraedge.1.gz" \
		"-rw-r--r-- root/root ./usr/share/lintian/overrides/loraedge"

	x=$T/x-$arch
	dpkg-deb -x "$deb" "$x"
	bin=$x/usr/bin/loraedge
	eq "$n: ELF machine" "$(od -An -t u2 -j 18 -N 2 "$bin" | tr -d ' ')" "${machine[$arch]}"
	check "$n: static (CGO_ENABLED=0, no interpreter)" bash -c \
		"'$GO' version -m '$bin' | grep -q 'CGO_ENABLED=0' && ! grep -q 'ld-linux' '$bin'"
	check "$n: copyright names every Go module in the binary" bash -c '
		for m in $("$1" version -m "$2" | awk "\$1 == \"dep\" { print \$2 }"); do
			grep -qx "Files: $m/\*" "$3" || { echo "missing $m"; exit 1; }
		done' _ "$GO" "$bin" "$x/usr/share/doc/loraedge/copyright"
	eq "$n: changelog entry" "$(zcat "$x/usr/share/doc/loraedge/changelog.gz" | head -n1)" \
		"loraedge ($version) unstable; urgency=medium"
	if [ "$arch" = "$host_arch" ]; then
		eq "$n: loraedge version" "$("$bin" version)" "loraedge $version"
		# Every command `loraedge help` lists is in the man page.
		check "$n: man page lists every command" bash -c '
			for c in $("$1" help 2>&1 | awk "/^commands:/ { on = 1; next } on && /^  [a-z]/ { print \$1 }"); do
				zcat "$2" | grep -qx ".B $c" || { echo "missing $c"; exit 1; }
			done' _ "$bin" "$x/usr/share/man/man1/loraedge.1.gz"
	elif [ -n "${qemu[$arch]:-}" ]; then
		q=${qemu[$arch]}
		if have "$q"; then
			eq "$n: loraedge version under $q" "$("$q" "$bin" version 2>&1)" "loraedge $version"
			d=$T/store-$arch
			mkdir -p "$d"
			check "$n: gateway add + list under $q (bbolt, sealed keys)" bash -c '
				"$1" "$2" gateway add --eui 0016c001ff10a235 --region EU868 --data "$3" &&
				"$1" "$2" gateway list --data "$3" | grep -q "^0016c001ff10a235 *EU868"' _ "$q" "$bin" "$d"
		else
			skip "$n: $q not found (apt-get install qemu-user-static)"
		fi
	fi
done

# The two service packages.
declare -A conf=([agent]=agent.toml [cloud]=cloud.toml)
for svc in agent cloud; do
	pkg=loraedge-$svc
	deb=$(deb_of "$pkg" all)
	if [ ! -f "$deb" ]; then
		bad "$pkg: $deb missing"
		continue
	fi
	eq "$pkg: Package" "$(dpkg-deb -f "$deb" Package)" "$pkg"
	eq "$pkg: Version" "$(dpkg-deb -f "$deb" Version)" "$version"
	eq "$pkg: Architecture" "$(dpkg-deb -f "$deb" Architecture)" all
	eq "$pkg: Depends" "$(dpkg-deb -f "$deb" Depends)" "loraedge (>= $version), adduser"
	check "$pkg: control members" members "$deb" conffiles md5sums postinst postrm prerm triggers
	eq "$pkg: triggers (restart when the program alone changes)" \
		"$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./triggers)" "interest-noawait /usr/bin/loraedge"
	eq "$pkg: conffiles" "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" "/etc/loraedge/${conf[$svc]}"
	contents "$pkg" "$deb" \
		"-rw-r--r-- root/root ./etc/loraedge/${conf[$svc]}" \
		"-rw-r--r-- root/root ./lib/systemd/system/$pkg.service" \
		"-rw-r--r-- root/root ./usr/share/doc/$pkg/copyright" \
		"-rw-r--r-- root/root ./usr/share/doc/$pkg/changelog.gz"
	x=$T/x-$svc
	dpkg-deb -x "$deb" "$x"
	eq "$pkg: changelog entry" "$(zcat "$x/usr/share/doc/$pkg/changelog.gz" | head -n1)" \
		"$pkg ($version) unstable; urgency=medium"
	eq "$pkg: conffile data_dir" "$(grep '^data_dir' "$x/etc/loraedge/${conf[$svc]}")" "data_dir = \"/var/lib/$pkg\""
done

# --- units ------------------------------------------------------------------
if have systemd-analyze; then
	declare -A exposure=([agent]=20 [cloud]=15) # systemd-analyze's tenths
	for svc in agent cloud; do
		unit=$T/x-$svc/lib/systemd/system/loraedge-$svc.service
		# verify wants ExecStart= to exist: the host binary of the snapshot.
		check "loraedge-$svc.service: systemd-analyze verify" bash -c \
			"sed 's|^ExecStart=/usr/bin/loraedge |ExecStart=$T/x-$host_arch/usr/bin/loraedge |' '$unit' >'$T/loraedge-$svc.service' &&
			 systemd-analyze verify --man=no '$T/loraedge-$svc.service'"
		if systemd-analyze security --offline=yes --threshold="${exposure[$svc]}" --no-pager "$unit" >"$T/security-$svc.log" 2>&1; then
			ok "loraedge-$svc.service: $(grep -o 'exposure level.*' "$T/security-$svc.log") (at most $((exposure[$svc] / 10)).$((exposure[$svc] % 10)))"
		else
			bad "loraedge-$svc.service: systemd-analyze security above $((exposure[$svc] / 10)).$((exposure[$svc] % 10))"
			grep -E '✗|Overall' "$T/security-$svc.log" | sed 's/^/      /'
		fi
	done
else
	skip "systemd-analyze not found (apt-get install systemd)"
fi

# --- lintian ---------------------------------------------------------------
if have lintian; then
	# Errors and warnings fail; info tags are printed for the record.
	debs=()
	for a in "${archs[@]}"; do debs+=("$(deb_of loraedge "$a")"); done
	debs+=("$(deb_of loraedge-agent all)" "$(deb_of loraedge-cloud all)")
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
# A copy of the snapshot at another path, built into another OUT.
src2=$T/src2
snapshot_copy() { mkdir -p "$src2" && (cd "$src" && tar -cf - .) | tar -xf - -C "$src2"; }
if snapshot_copy && (cd "$src2" && OUT=$T/repro scripts/package.sh deb "$host_arch") >"$T/repro-deb.log" 2>&1; then
	for p in "loraedge $host_arch" "loraedge-agent all" "loraedge-cloud all"; do
		read -r pk a <<<"$p"
		check "reproducible: a second $pk $a .deb is byte-identical" cmp "$(deb_of "$pk" "$a")" "$(deb_of "$pk" "$a" "$T/repro/deb")"
	done
else
	bad "second .deb build"
	tail -n 20 "$T/repro-deb.log"
fi

# --- install, upgrade, remove, purge on this machine ---------------------------
created_groups=()
pids=()
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -qv 'not-installed'; }
cleanup_machine() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in loraedge-agent loraedge-cloud loraedge; do
		if installed "$p"; then dpkg --purge "$p" >/dev/null 2>&1 || true; fi
	done
	for p in "${created_groups[@]}"; do groupdel "$p" 2>/dev/null || true; done
	if [ -n "${container:-}" ]; then podman rm -f -v "$container" >/dev/null 2>&1 || true; fi
	if [ -n "${image_ref:-}" ]; then podman rmi -f "$image_ref" >/dev/null 2>&1 || true; fi
}
trap cleanup_machine EXIT

# start_as USER DIR LOG WANT CMD...: starts CMD in DIR as its unit would
# (User= with the user's groups, NoNewPrivileges=, an empty
# CapabilityBoundingSet=), and waits (up to 30 s) for the log line
# msg="WANT" in LOG; the PID (CMD's own: setpriv execs) is in $started.
start_as() {
	local user=$1 dir=$2 log=$3 want=$4
	shift 4
	(cd "$dir" && exec setpriv --reuid "$user" --regid "$user" --init-groups \
		--no-new-privs --bounding-set -all --inh-caps -all -- "$@") >"$log" 2>&1 &
	started=$!
	pids+=("$started")
	for _ in $(seq 300); do # up to 30 s on a loaded machine
		grep -q "msg=\"$want\"" "$log" && return 0
		kill -0 "$started" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# as_user USER DIR CMD...: runs CMD in DIR as start_as does, in the
# foreground.
as_user() {
	local user=$1 dir=$2
	shift 2
	(cd "$dir" && exec setpriv --reuid "$user" --regid "$user" --init-groups \
		--no-new-privs --bounding-set -all --inh-caps -all -- "$@")
}
# stop PID: SIGTERM, then waits for it.
stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null
}

wants() { echo "/etc/systemd/system/multi-user.target.wants/$1.service"; }
unitfile() { echo "/lib/systemd/system/$1.service"; }

if [ "$(id -u)" != 0 ]; then
	skip "install tests: need root (dpkg -i)"
else
	for p in loraedge-agent loraedge-cloud loraedge; do
		if installed "$p"; then
			echo "test-packaging: $p is installed here: purging it first"
			dpkg --purge "$p" >/dev/null
		fi
	done
	export DEBIAN_FRONTEND=noninteractive
	prog=$(deb_of loraedge "$host_arch")
	agent=$(deb_of loraedge-agent all)
	cloud=$(deb_of loraedge-cloud all)

	# The split: a loraedge-agent of before it held /usr/bin/loraedge; the
	# loraedge package takes the file over (Replaces).
	old=$T/presplit
	mkdir -p "$old/DEBIAN" "$old/usr/bin"
	cp "$T/x-$host_arch/usr/bin/loraedge" "$old/usr/bin/loraedge"
	printf '%s\n' "Package: loraedge-agent" "Version: 0~presplit1" \
		"Architecture: $host_arch" "Maintainer: test <test@loraedge.invalid>" \
		"Description: loraedge-agent as packaged before the split" >"$old/DEBIAN/control"
	dpkg-deb --root-owner-group -b "$old" "$T/presplit.deb" >/dev/null
	check "split: install a loraedge-agent that holds /usr/bin/loraedge" dpkg -i "$T/presplit.deb"
	check "split: upgrade to loraedge + loraedge-agent" dpkg -i "$prog" "$agent"
	eq "split: /usr/bin/loraedge belongs to" "$(dpkg -S /usr/bin/loraedge 2>&1)" "loraedge: /usr/bin/loraedge"
	check "split: purge" dpkg --purge loraedge-agent loraedge

	# The groups a Raspberry Pi has: make spi and gpio (not i2c) when
	# missing, to see the agent's user join existing groups only.
	for g in spi gpio; do
		if ! getent group "$g" >/dev/null; then
			groupadd --system "$g"
			created_groups+=("$g")
		fi
	done
	i2c_existed=no
	getent group i2c >/dev/null && i2c_existed=yes

	check "dpkg -i the three packages" dpkg -i "$prog" "$agent" "$cloud"
	for p in loraedge loraedge-agent loraedge-cloud; do
		eq "$p: installed version" "$(dpkg-query -W -f='${Version} ${Status}' "$p")" "$version install ok installed"
	done
	eq "loraedge --version" "$(loraedge --version 2>&1)" "loraedge $version"
	for svc in agent cloud; do
		p=loraedge-$svc
		check "$p: unit file installed" test -f "$(unitfile "$p")"
		eq "$p: unit enabled: wants symlink" "$(readlink "$(wants "$p")" 2>/dev/null)" "$(unitfile "$p")"
		eq "$p: systemctl is-enabled" "$(systemctl is-enabled "$p.service" 2>/dev/null || true)" enabled
		eq "$p: conffile registered" "$(dpkg-query -W -f='${Conffiles}' "$p" | awk '{print $1}' | grep .)" "/etc/loraedge/${conf[$svc]}"
		eq "$p: state directory" "$(stat -c '%U:%G %a' "/var/lib/$p" 2>&1)" "$(
			[ "$svc" = agent ] && echo loraedge:loraedge || echo loraedge-cloud:loraedge-cloud
		) 750"
	done
	check "user loraedge: system account, no login" bash -c \
		'IFS=: read -r _ _ uid _ _ home shell < <(getent passwd loraedge) && [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/loraedge-agent ] && [ "$shell" = /usr/sbin/nologin ]'
	check "user loraedge-cloud: system account, no login" bash -c \
		'IFS=: read -r _ _ uid _ _ home shell < <(getent passwd loraedge-cloud) && [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/loraedge-cloud ] && [ "$shell" = /usr/sbin/nologin ]'
	groups_of=" $(id -nG loraedge 2>/dev/null || true) "
	check "user loraedge in spi and gpio" bash -c "[[ '$groups_of' == *' spi '* && '$groups_of' == *' gpio '* ]]"
	if [ "$i2c_existed" = no ]; then
		check "user loraedge not in a missing i2c group" bash -c "[[ '$groups_of' != *' i2c '* ]]"
	fi
	eq "user loraedge-cloud: its own group only" "$(id -nG loraedge-cloud 2>&1)" loraedge-cloud

	# The agent runs as its user from the shipped configuration (with a
	# server URI nothing listens on) and writes agent.db in its state dir.
	cfgdir=$(mktemp -d "$T/cfg.XXXX")
	chmod 755 "$cfgdir"
	awk '/^\[/ { s = $0 } s == "[tc]" && /^uri = ""$/ { print "uri = \"ws://127.0.0.1:9\""; next } { print }' \
		/etc/loraedge/agent.toml >"$cfgdir/agent.toml"
	if start_as loraedge /var/lib/loraedge-agent "$T/agent.log" "agent starting" /usr/bin/loraedge agent --config "$cfgdir/agent.toml"; then
		ok "loraedge-agent: starts as loraedge from the shipped conffile"
	else
		bad "loraedge-agent: starts as loraedge from the shipped conffile"
		tail -n 10 "$T/agent.log" | sed 's/^/      /'
	fi
	stop "$started" || true
	eq "loraedge-agent: agent.db in the state directory" "$(stat -c '%U %a' /var/lib/loraedge-agent/agent.db 2>&1)" "loraedge 600"
	# README.md, "CUPS": an update_command run by the agent cannot install
	# a package (nor sudo: NoNewPrivileges).
	n="loraedge-agent: its user cannot run dpkg -i (no CUPS package updates)"
	if as_user loraedge /var/lib/loraedge-agent dpkg -i "$agent" >"$T/dpkg-as-agent.log" 2>&1; then
		bad "$n: it could"
	elif grep -q superuser "$T/dpkg-as-agent.log"; then
		ok "$n"
	else
		bad "$n: $(tail -n1 "$T/dpkg-as-agent.log")"
	fi

	# The cloud runs as its user from the shipped configuration, its three
	# listeners (loopback, as shipped) on ports the system picks.
	awk '/^\[/ { s = $0 }
		s == "[gateways]" && /^listen = / { print "listen = \"127.0.0.1:0\""; next }
		s == "[gateways]" && /^public_port = / { print "public_port = 6039"; next }
		s == "[api]" && /^listen = / { print "listen = \"127.0.0.1:0\""; next }
		s == "[mqtt]" && /^embedded_listen = / { print "embedded_listen = \"127.0.0.1:0\""; next }
		{ print }' /etc/loraedge/cloud.toml >"$cfgdir/cloud.toml"
	eq "loraedge-cloud: every shipped listener is on loopback or off" \
		"$(grep -E '^(listen|embedded_listen) = ' /etc/loraedge/cloud.toml | grep -vE '= "(127\.0\.0\.1:[0-9]+|off)"$' || true)" ""
	if start_as loraedge-cloud /var/lib/loraedge-cloud "$T/cloud.log" "cloud started" /usr/bin/loraedge cloud --config "$cfgdir/cloud.toml"; then
		ok "loraedge-cloud: starts as loraedge-cloud from the shipped conffile"
		cloud_pid=$started
		api=$(grep -o '"url": *"[^"]*"' /var/lib/loraedge-cloud/admin.json | sed -e 's/.*: *"//' -e 's/"$//')
		eq "loraedge-cloud: API on 127.0.0.1" "${api%:*}" "http://127.0.0.1"
		eq "loraedge-cloud: GET $api/healthz" "$(curl -fsS -m 5 "$api/healthz" 2>&1)" '{"status":"ok"}'
		# README.md: admin commands as root with --config, through the API.
		check "loraedge-cloud: gateway add --config (as root, through the API)" \
			loraedge gateway add --config "$cfgdir/cloud.toml" --eui 0016c001ff10a235 --region EU868
		check "loraedge-cloud: gateway list --config shows it" bash -c \
			"loraedge gateway list --config '$cfgdir/cloud.toml' | grep -q '^0016c001ff10a235 *EU868'"
		gw=$T/gw
		check "loraedge-cloud: gateway cert --config writes a Station home" bash -c \
			"loraedge gateway cert --config '$cfgdir/cloud.toml' --eui 0016c001ff10a235 --out '$gw' && test -s '$gw/tc.crt' && test -s '$gw/tc.trust'"
		eq "loraedge-cloud: every file in the state directory is the service's" \
			"$(find /var/lib/loraedge-cloud ! -user loraedge-cloud 2>&1)" ""
		eq "loraedge-cloud: key-encryption key" "$(stat -c '%U %a' /var/lib/loraedge-cloud/kek 2>&1)" "loraedge-cloud 600"
		kill "$cloud_pid"
		wait "$cloud_pid" && rc=0 || rc=$?
		eq "loraedge-cloud: exit status after SIGTERM" "$rc" 0
		check "loraedge-cloud: stopped cleanly" grep -q 'msg="cloud stopped"' "$T/cloud.log"
		# README.md: commands that need the cloud stopped run as its user.
		kek1=$(loraedge kek id --data /var/lib/loraedge-cloud 2>&1)
		check "loraedge-cloud: kek rotate as loraedge-cloud" as_user loraedge-cloud /var/lib/loraedge-cloud \
			/usr/bin/loraedge kek rotate --data /var/lib/loraedge-cloud
		check "loraedge-cloud: a new key-encryption key" bash -c "[ \"\$(loraedge kek id --data /var/lib/loraedge-cloud)\" != '$kek1' ]"
		eq "loraedge-cloud: still every file the service's" "$(find /var/lib/loraedge-cloud ! -user loraedge-cloud 2>&1)" ""
	else
		bad "loraedge-cloud: starts as loraedge-cloud from the shipped conffile"
		tail -n 10 "$T/cloud.log" | sed 's/^/      /'
		stop "$started" || true
	fi

	# Upgrades to a second version: first the program alone (the services
	# depend on loraedge >= their version), then the services, the agent's
	# default configuration changed over a locally changed conffile,
	# non-interactively.
	version2="$version+upgradetest"
	if (cd "$src" && OUT=$T/v2 DEB_VERSION=$version2 scripts/package.sh deb "$host_arch") >"$T/v2.log" 2>&1; then
		check "upgrade: loraedge alone" bash -c "dpkg -i '$T/v2/deb/loraedge_${version2}_$host_arch.deb' >'$T/upgrade1.log' 2>&1"
		for p in loraedge-agent loraedge-cloud; do
			check "upgrade: $p's trigger ran (its postinst restarts it)" grep -q "^Processing triggers for $p ($version)" "$T/upgrade1.log"
		done
		eq "upgrade: loraedge --version" "$(loraedge --version 2>&1)" "loraedge $version2"
		for p in loraedge-agent loraedge-cloud; do
			eq "upgrade: $p $version still configured" "$(dpkg-query -W -f='${Version} ${Status}' "$p")" "$version install ok installed"
		done
		r=$T/v2/raw
		dpkg-deb -R "$T/v2/deb/loraedge-agent_${version2}_all.deb" "$r"
		echo "# a default added in $version2" >>"$r/etc/loraedge/agent.toml"
		(cd "$r" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
		agent2=$T/v2/loraedge-agent_${version2}_all.deb
		dpkg-deb --root-owner-group -b "$r" "$agent2" >/dev/null
		echo "# changed here" >>/etc/loraedge/agent.toml
		check "upgrade: dpkg -i --force-confold the services (no prompt)" \
			dpkg -i --force-confold "$agent2" "$T/v2/deb/loraedge-cloud_${version2}_all.deb" </dev/null
		for p in loraedge-agent loraedge-cloud; do
			eq "upgrade: $p version" "$(dpkg-query -W -f='${Version} ${Status}' "$p")" "$version2 install ok installed"
			eq "upgrade: $p unit still enabled" "$(readlink "$(wants "$p")" 2>/dev/null)" "$(unitfile "$p")"
		done
		eq "upgrade: local agent.toml kept" "$(tail -n1 /etc/loraedge/agent.toml)" "# changed here"
		eq "upgrade: new default beside it" "$(tail -n1 /etc/loraedge/agent.toml.dpkg-dist 2>&1)" "# a default added in $version2"
		check "upgrade: agent.db kept" test -f /var/lib/loraedge-agent/agent.db
		check "upgrade: the cloud's store and key kept" test -f /var/lib/loraedge-cloud/store.db -a -f /var/lib/loraedge-cloud/kek
	else
		bad "build of a second version"
		tail -n 20 "$T/v2.log"
	fi

	check "dpkg -r loraedge-agent loraedge-cloud" dpkg -r loraedge-agent loraedge-cloud
	for svc in agent cloud; do
		p=loraedge-$svc
		eq "remove: $p status" "$(dpkg-query -W -f='${Status}' "$p")" "deinstall ok config-files"
		check "remove: $p unit gone" bash -c "[ ! -e '$(unitfile "$p")' ]"
		check "remove: $p conffile kept" test -f "/etc/loraedge/${conf[$svc]}"
		check "remove: $p unit masked" bash -c "[ \"\$(readlink /etc/systemd/system/$p.service)\" = /dev/null ]"
		check "remove: $p state kept" test -d "/var/lib/$p"
	done
	check "remove: loraedge (the program) stays" test -x /usr/bin/loraedge

	check "dpkg -P the three packages" dpkg --purge loraedge-agent loraedge-cloud loraedge
	for p in loraedge loraedge-agent loraedge-cloud; do
		eq "purge: $p status" "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || echo gone)" "gone"
	done
	check "purge: users and groups gone" bash -c '
		for u in loraedge loraedge-cloud; do
			! getent passwd $u && ! getent group $u && ! grep -q "^$u:\|[:,]$u\(,\|$\)" /etc/group || exit 1
		done'
	left=$(find /etc /lib /usr /var /run -xdev \( -path "$repo" -o -path "$OUT" -o -path /var/cache/man -o -path /var/lib/containers -o -path /run/containers -o -path /run/libpod \) -prune -o -name '*loraedge*' -print 2>/dev/null || true)
	eq "purge: no file named *loraedge* left in /etc /lib /usr /var /run" "$left" ""
fi

# --- image -------------------------------------------------------------------
if (cd "$src" && OUT=$OUT scripts/package.sh image) >"$T/image.log" 2>&1; then
	digest=$(awk '/ sha256:/ { print $2 }' "$T/image.log")
	ok "built the image: index $digest"
else
	bad "scripts/package.sh image"
	tail -n 20 "$T/image.log"
fi
archive=$OUT/image/loraedge-cloud_${version}.oci.tar
if (cd "$src2" && OUT=$T/repro scripts/package.sh image) >"$T/repro-image.log" 2>&1; then
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
echo "test-packaging: artifacts:"
for f in "$OUT"/deb/*_"$version"_*.deb "$OUT/image/loraedge-cloud_$version.oci.tar"; do
	if [ -f "$f" ]; then printf '  %-72s %9d bytes\n' "${f#"$OUT"/}" "$(stat -c %s "$f")"; fi
done
finish
