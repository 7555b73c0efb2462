#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch and unpack Debian bookworm's kmod source package into DESTDIR with a private apt setup.
#
# Usage: scripts/fetch-kmod.sh DESTDIR
#
# The system's apt state is left untouched: the deb-src entry, the package lists and the
# caches live in a scratch directory next to DESTDIR that is removed afterwards.  The
# mirror is the one the system's own sources use for bookworm; KMOD_MIRROR=URI overrides it.
# The download is authenticated by apt (signed InRelease -> Sources -> .dsc hashes) and
# dpkg-source checks the tarballs against the .dsc.  When the uploaders' keyring is present
# (the debian-keyring package, or KMOD_DSC_KEYRING=FILE) the .dsc signature must verify too.
set -eu

SUITE=bookworm
PKG=kmod
UPSTREAM_VERSION=30
DEFAULT_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
dsc_keyring=${KMOD_DSC_KEYRING:-/usr/share/keyrings/debian-keyring.gpg}

die() {
	echo "fetch-kmod: $*" >&2
	exit 1
}

# Print "RANK URI SIGNED-BY" for every enabled deb/deb-src entry of the system's apt sources
# that points at the bookworm suites of the Debian archive (rank 0: bookworm itself).
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
	awk -v suite="$SUITE" '
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

[ $# -eq 1 ] || die "usage: $0 DESTDIR"
dest=${1%/}
[ -n "$dest" ] || die "usage: $0 DESTDIR"

if [ -f "$dest/libkmod/libkmod.h" ]; then
	exit 0
fi
if [ -e "$dest" ] && [ -n "$(ls -A "$dest" 2>/dev/null)" ]; then
	die "$dest exists but holds no kmod source tree; remove it and run again"
fi

command -v apt-get >/dev/null || die "apt-get not found: this needs a Debian system"
command -v dpkg-source >/dev/null || die "dpkg-source not found: install dpkg-dev"

if [ -n "${KMOD_MIRROR:-}" ]; then
	uri=$KMOD_MIRROR
	keyring=-
else
	line=$(list_mirrors | head -n 1)
	[ -n "$line" ] || die "no '$SUITE' entry in the system's apt sources to derive a mirror from; set KMOD_MIRROR=URI"
	uri=$(echo "$line" | cut -d ' ' -f 2)
	keyring=$(echo "$line" | cut -d ' ' -f 3)
fi
if [ "$keyring" = - ] && [ -f "$DEFAULT_KEYRING" ]; then
	keyring=$DEFAULT_KEYRING
fi

mkdir -p "$(dirname "$dest")"
work=$(mktemp -d "$dest.fetch.XXXXXX")
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
} >"$work/sources.list.d/kmod.sources"

# apt downloads as the unprivileged _apt user when run as root; let it write there.
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
	chown _apt "$work/lists/partial" "$work/cache/archives/partial" "$work/dl"
fi

apt_private() {
	apt-get -q \
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

echo "fetch-kmod: fetching $PKG source from $uri $SUITE" >&2
apt_private update --error-on=any >&2 || die "apt-get update failed for deb-src $uri $SUITE"
(cd "$work/dl" && apt_private source --download-only "$PKG/$SUITE") >&2 ||
	die "apt-get source $PKG/$SUITE failed (mirror $uri)"

dsc=
for f in "$work/dl/${PKG}_"*.dsc; do
	if [ -f "$f" ]; then
		dsc=$f
	fi
done
[ -n "$dsc" ] || die "apt-get source left no .dsc file"
version=$(sed -n 's/^Version: *//p' "$dsc" | head -n 1)
case $version in
"$UPSTREAM_VERSION"+* | "$UPSTREAM_VERSION"-*) ;;
*) echo "fetch-kmod: warning: $PKG $version is not upstream version $UPSTREAM_VERSION" >&2 ;;
esac

if [ -f "$dsc_keyring" ]; then
	gpgv --keyring "$dsc_keyring" "$dsc" >&2 ||
		die "$(basename "$dsc"): no good signature from a key in $dsc_keyring"
	echo "fetch-kmod: $(basename "$dsc"): signature verified with $dsc_keyring" >&2
else
	echo "fetch-kmod: $(basename "$dsc"): authenticated by the signed $SUITE Release;" \
		"its own signature is not checked (no $dsc_keyring)" >&2
fi
# dpkg-source checks the tarballs against the .dsc hashes.  Its own signature check knows
# only the system keyrings and repeats what was said above, so its gpgv chatter is dropped.
if ! dpkg-source -x "$dsc" "$work/tree" >"$work/unpack.log" 2>&1; then
	cat "$work/unpack.log" >&2
	die "dpkg-source could not unpack $dsc"
fi
grep -v -e '^gpgv:' -e 'cannot verify inline signature' "$work/unpack.log" >&2 || :
[ -f "$work/tree/libkmod/libkmod.h" ] || die "unpacked $dsc holds no libkmod/libkmod.h"

# A concurrent run may have won the race: its complete tree is as good as ours.
if [ -d "$dest" ]; then
	rmdir "$dest" 2>/dev/null || :
fi
if ! mv -T "$work/tree" "$dest" 2>/dev/null; then
	[ -f "$dest/libkmod/libkmod.h" ] || die "cannot move the unpacked tree to $dest"
	exit 0
fi
echo "fetch-kmod: $PKG $version unpacked in $dest" >&2
