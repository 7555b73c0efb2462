#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian packages named on the command line that are not installed yet.
set -eu

# ENSURE_DEPS=no: the caller provides the packages (an RPM build: BuildRequires).
[ "${ENSURE_DEPS:-}" != no ] || exit 0

missing=
for pkg in "$@"; do
	if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $pkg"
	fi
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "ensure-deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "ensure-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Another install may hold the lock (parallel makes, a second terminal): wait for it.
lock='-o DPkg::Lock::Timeout=900'
# shellcheck disable=SC2086
apt-get $lock update -q >&2 || { sleep 10; apt-get $lock update -q >&2; }
# shellcheck disable=SC2086
apt-get $lock install -y -q --no-install-recommends $missing >&2
