#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch and unpack Debian source packages of one suite into DESTDIR/PKG with a private apt setup.
#
# Usage: scripts/fetch-source.sh SUITE DESTDIR PKG[=UPSTREAM]...
#
# Each PKG is unpacked into DESTDIR/PKG (skipped when DESTDIR/PKG/debian/changelog exists);
# =UPSTREAM names the upstream version expected (a mismatch is a warning).  The system's apt
# state is left untouched: the deb-src entry, the package lists and the caches live in a
# scratch directory next to DESTDIR that is removed afterwards.  The mirror is the one the
# system's own sources use for Debian 12 (bookworm), asked for SUITE; SRC_MIRROR=URI
# overrides it.  The download is authenticated by apt (signed InRelease -> Sources -> .dsc
# hashes; Debian 12's debian-archive-keyring holds the bookworm and trixie archive keys) and
# dpkg-source checks the tarballs against the .dsc.  When the uploaders' keyring is present
# (the debian-keyring package, or DSC_KEYRING=FILE) the .dsc signatures must verify too.
set -eu

MIRROR_SUITE=bookworm
DEFAULT_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
dsc_keyring=${DSC_KEYRING:-/usr/share/keyrings/debian-keyring.gpg}

die() {
	echo "fetch-source: $*" >&2
	exit 1
}

# Print "RANK URI SIGNED-BY" for every enabled deb/deb-src entry of the system's apt sources
# that points at the $MIRROR_SUITE suites of the Debian archive (rank 0: $MIRROR_SUITE itself).
list_mirrors() {
	sl=
	sp=
	eval "$(apt-config shell sl Dir::Etc::SourceList/f sp Dir::Etc::SourceParts/d)"
	set --
	if [ -n "$sl" ] && [ -f "$sl" ]; then
		set -- "$sl"
	fi
	if [ -n "$sp" ] && [ -d "$sp" ]; then
		for f in "$sp"*.list "$sp"*.sources; do
			if [ -f "$f" ]; then
				set -- "$@" "$f"
			fi
		done
	fi
	[ $# -gt 0 ] || return 0
	awk -v suite="$MIRROR_SUITE" '
	function rank(s) {
		if (s == suite) return 0
		if (s == suite "-updates" || s == suite "-backports") return 1
		return -1
	}
	function emit(types, uris, suites, signed, enabled,   nt, t, nu, u, ns, s, i, j, k, r, ok) {
		if (tolower(enabled) == "no") return
		ok = 0
		nt = split(types, t, /[ \t]+/)
		for (i = 1; i <= nt; i++) if (t[i] == "deb" || t[i] == "deb-src") ok = 1
		if (!ok) return
		if (signed !~ /^\//) signed = "-"
		nu = split(uris, u, /[ \t]+/)
		ns = split(suites, s, /[ \t]+/)
		for (j = 1; j <= ns; j++) {
			r = rank(s[j])
			if (r < 0) continue
			for (k = 1; k <= nu; k++)
				if (u[k] != "" && u[k] !~ /^cdrom:/) print r, u[k], signed
		}
	}
	function flush() {
		if (uris != "") emit(types, uris, suites, signed, enabled)
		types = uris = suites = signed = enabled = ""; field = ""
	}
	FNR == 1 { flush(); deb822 = (FILENAME ~ /\.sources$/) }
	!deb822 {
		sub(/#.*/, "")
		n = split($0, w, /[ \t]+/)
		i = 1
		if (w[i] == "") i++
		if (w[i] != "deb" && w[i] != "deb-src") next
		typ = w[i++]
		sig = ""
		if (w[i] ~ /^\[/) {
			for (;; i++) {
				opt = w[i]
				gsub(/[][]/, "", opt)
				if (opt ~ /^signed-by=/) sig = substr(opt, 11)
				if (w[i] ~ /\]$/ || i >= n) { i++; break }
			}
		}
		emit(typ, w[i], w[i + 1], sig, "yes")
		next
	}
	/^[ \t]*#/ { next }
	/^[ \t]*$/ { flush(); next }
	/^[ \t]/ { next }	# continuation line (an inline key): not a path, ignored
	{
		key = tolower($0); sub(/:.*/, "", key)
		val = $0; sub(/^[^:]*:[ \t]*/, "", val); sub(/[ \t]+$/, "", val)
		if (key == "types") types = val
		else if (key == "uris") uris = val
		else if (key == "suites") suites = val
		else if (key == "signed-by") signed = val
		else if (key == "enabled") enabled = val
	}
	END { flush() }
	' "$@" | sort -n -s -k1,1
}

[ $# -ge 3 ] || die "usage: $0 SUITE DESTDIR PKG[=UPSTREAM]..."
SUITE=$1
dest=${2%/}
shift 2
[ -n "$dest" ] || die "usage: $0 SUITE DESTDIR PKG[=UPSTREAM]..."

todo=
for spec in "$@"; do
	if [ ! -f "$dest/${spec%%=*}/debian/changelog" ]; then
		todo="$todo $spec"
	fi
done
[ -n "$todo" ] || exit 0

command -v apt-get >/dev/null || die "apt-get not found: this needs a Debian system"
command -v dpkg-source >/dev/null || die "dpkg-source not found: install dpkg-dev"

if [ -n "${SRC_MIRROR:-}" ]; then
	uri=$SRC_MIRROR
	keyring=-
else
	line=$(list_mirrors | head -n 1)
	[ -n "$line" ] || die "no '$MIRROR_SUITE' entry in the system's apt sources to derive a mirror from; set SRC_MIRROR=URI"
	uri=$(echo "$line" | cut -d ' ' -f 2)
	keyring=$(echo "$line" | cut -d ' ' -f 3)
fi
if [ "$keyring" = - ] && [ -f "$DEFAULT_KEYRING" ]; then
	keyring=$DEFAULT_KEYRING
fi

mkdir -p "$dest"
work=$(mktemp -d "$dest/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP
work=$(cd "$work" && pwd)
# mktemp made it 0700; apt's download sandbox user must reach the directories below.
chmod 755 "$work"

mkdir -p "$work/sources.list.d" "$work/preferences.d" "$work/lists/partial" \
	"$work/cache/archives/partial" "$work/dl"
{
	echo "Types: deb-src"
	echo "URIs: $uri"
	echo "Suites: $SUITE"
	echo "Components: main"
	[ "$keyring" = - ] || echo "Signed-By: $keyring"
} >"$work/sources.list.d/src.sources"

# apt downloads as the unprivileged _apt user when run as root; let it write there.
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
	chown _apt "$work/lists/partial" "$work/cache/archives/partial" "$work/dl"
fi

# apt_private apt-get|apt-cache ARG...
apt_private() {
	cmd=$1
	shift
	"$cmd" -q \
		-o Dir::Etc::SourceList=/dev/null \
		-o Dir::Etc::SourceParts="$work/sources.list.d" \
		-o Dir::Etc::Preferences=/dev/null \
		-o Dir::Etc::PreferencesParts="$work/preferences.d" \
		-o Dir::State::Lists="$work/lists" \
		-o Dir::State::extended_states="$work/extended_states" \
		-o Dir::Cache="$work/cache" \
		-o Dir::Cache::pkgcache= \
		-o Dir::Cache::srcpkgcache= \
		"$@"
}

echo "fetch-source: fetching$todo from $uri $SUITE" >&2
apt_private apt-get update --error-on=any >&2 || die "apt-get update failed for deb-src $uri $SUITE"

# get_version PKG VERSION: download one source version into $dl; sets dsc and written.
get_version() {
	rm -rf "$dl"
	mkdir -p "$dl"
	if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
		chown _apt "$dl"
	fi
	nv=${2#*:}
	dscname=${1}_$nv.dsc
	dsc=$dl/$dscname
	written=0
	if (cd "$dl" && apt_private apt-get source --download-only "$1=$2") >"$work/get.log" 2>&1; then
		return 0
	fi
	# Some mirrors lack a .dsc whose tarballs they serve.  The .dsc's fields are the
	# Sources index's stanza, which apt verified against the signed Release: write the
	# .dsc from it, and dpkg-source checks the tarballs against its hashes as usual.
	if [ -f "$dsc" ] || ! grep -q "/${1}_$nv\.dsc .*404" "$work/get.log" ||
		[ "$(grep -c '^Err:' "$work/get.log")" -ne 1 ]; then
		return 1
	fi
	apt_private apt-cache showsrc --only-source "$1" 2>/dev/null | awk -v want="$2" '
	BEGIN { RS = "" }
	{
		v = $0
		sub(/^(.*\n)?Version: */, "", v)
		sub(/\n.*/, "", v)
		if (v == want) { print; exit }
	}' >"$dsc.tmp"
	grep -q '^Checksums-Sha256:' "$dsc.tmp" || return 1
	# The index lists the .dsc itself among the files; a .dsc does not.
	sed -i -e 's/^Package:/Source:/' -e "/^ .* $dscname\$/d" "$dsc.tmp"
	mv "$dsc.tmp" "$dsc"
	written=1
	echo "fetch-source: $dscname: not on the mirror; written from the verified Sources index" >&2
}

fetch_one() {
	pkg=${1%%=*}
	upstream=
	case $1 in *=*) upstream=${1#*=} ;; esac
	dl=$work/dl/$pkg
	# The suite's versions of PKG, newest first (sort -V orders these Debian versions as
	# dpkg does).  A mirror can lag behind its own index (a stable update listed whose files
	# are not there yet): then the next older version of the suite is taken, with a warning.
	versions=$(apt_private apt-cache showsrc --only-source "$pkg" 2>/dev/null |
		sed -n 's/^Version: *//p' | sort -u -r -V)
	[ -n "$versions" ] || die "no source package $pkg in $SUITE (mirror $uri)"
	dsc=
	for v in $versions; do
		if get_version "$pkg" "$v"; then
			break
		fi
		echo "fetch-source: warning: $pkg $v is in the $SUITE index but not on the mirror" >&2
		dsc=
	done
	[ -n "$dsc" ] || die "apt-get source $pkg/$SUITE failed for every version (mirror $uri)"
	[ -f "$dsc" ] || die "apt-get source $pkg left no .dsc file"
	version=$(sed -n 's/^Version: *//p' "$dsc" | head -n 1)
	if [ -n "$upstream" ]; then
		case ${version#*:} in
		"$upstream" | "$upstream"[.+~-]*) ;;
		*) echo "fetch-source: warning: $pkg $version is not upstream version $upstream" >&2 ;;
		esac
	fi

	if [ "$written" = 0 ] && [ -f "$dsc_keyring" ]; then
		gpgv --keyring "$dsc_keyring" "$dsc" >&2 ||
			die "$(basename "$dsc"): no good signature from a key in $dsc_keyring"
		echo "fetch-source: $(basename "$dsc"): signature verified with $dsc_keyring" >&2
	else
		echo "fetch-source: $(basename "$dsc"): authenticated by the signed $SUITE Release;" \
			"its own signature is not checked" >&2
	fi
	# dpkg-source checks the tarballs against the .dsc hashes.  Its own signature check knows
	# only the system keyrings and repeats what was said above, so its gpgv chatter is dropped.
	if ! dpkg-source -x "$dsc" "$work/tree-$pkg" >"$work/unpack.log" 2>&1; then
		cat "$work/unpack.log" >&2
		die "dpkg-source could not unpack $dsc"
	fi
	grep -v -e '^gpgv:' -e 'cannot verify inline signature' "$work/unpack.log" >&2 || :
	[ -f "$work/tree-$pkg/debian/changelog" ] || die "unpacked $dsc holds no debian/changelog"

	# A concurrent run may have won the race: its complete tree is as good as ours.
	if [ -d "$dest/$pkg" ]; then
		rmdir "$dest/$pkg" 2>/dev/null || :
	fi
	if ! mv -T "$work/tree-$pkg" "$dest/$pkg" 2>/dev/null; then
		[ -f "$dest/$pkg/debian/changelog" ] || die "cannot move the unpacked tree to $dest/$pkg"
		return 0
	fi
	echo "fetch-source: $pkg $version unpacked in $dest/$pkg" >&2
}

for spec in $todo; do
	fetch_one "$spec"
done
