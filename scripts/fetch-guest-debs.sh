#!/bin/bash
# Download the pinned packages of scripts/vm/guest-debs.txt from bookworm
# (the system's sources; apt checks the signed index), check each .deb's
# sha256, cache them, and unpack them all into one guest root.  Prints that
# root's path.  Nothing is installed on the host.
# Usage: fetch-guest-debs.sh
. "$(dirname "$0")/lib.sh"
need apt-get dpkg-deb sha256sum
list=${KSERIES_GUEST_DEBS:-$TOP/scripts/vm/guest-debs.txt}
debs=$CACHE/guest-debs
root=$CACHE/guest-root
mkdir -p "$debs"
files=()
while read -r pkg ver sum; do
	case $pkg in ''|'#'*) continue ;; esac
	f=
	for d in "$debs/${pkg}_"*.deb; do
		[ -f "$d" ] && [ "$(dpkg-deb -f "$d" Version)" = "$ver" ] && { f=$d; break; }
	done
	if [ -z "$f" ]; then
		log "downloading $pkg $ver"
		(cd "$debs" && apt-get -q -o APT::Sandbox::User=root download "$pkg=$ver") >"$debs/apt.log" 2>&1 ||
			{ tail -5 "$debs/apt.log" >&2; die "cannot download $pkg $ver (pinned in $list)"; }
		for d in "$debs/${pkg}_"*.deb; do
			[ "$(dpkg-deb -f "$d" Version)" = "$ver" ] && f=$d
		done
		[ -n "$f" ] || die "apt-get download of $pkg $ver gave no such .deb"
	fi
	got=$(sha256sum "$f" | cut -c1-64)
	[ "$got" = "$sum" ] || { rm -f "$f"; die "$pkg $ver: sha256 $got, expected $sum (the download was removed)"; }
	files+=("$f")
done <"$list"
want=$(cat "$list" | sha256sum | cut -c1-16)
if [ "$(cat "$root.stamp" 2>/dev/null)" != "$want" ]; then
	rm -rf "$root" "$root.stamp"
	mkdir -p "$root"
	for f in "${files[@]}"; do dpkg-deb -x "$f" "$root" || die "cannot unpack $f"; done
	echo "$want" >"$root.stamp"
fi
echo "$root"
