#!/bin/bash
# Download the two pinned kernel bases from Debian's archive, check their
# sha256, and turn each into a one-commit git repository with a version tag.
# Usage: fetch-bases.sh [BASE...]
. "$(dirname "$0")/lib.sh"
need git xz sha256sum dpkg-deb apt-get

DL=$CACHE/downloads
mkdir -p "$DL"

verify() { # file sha256
	local got
	got=$(sha256sum "$1" | cut -d' ' -f1)
	[ "$got" = "$2" ] || { rm -f "$1"; die "checksum mismatch for $1: got $got, want $2 (file removed)"; }
}

# v7.3-rc7 as packaged by Debian: there is no reachable pristine tarball, so
# take the one inside the binary package linux-source-7.3.
MAINLINE_DEB=linux-source-7.3_7.3~rc7-1~exp1_all.deb
MAINLINE_DEB_SHA=8bf8ca5ea8b1b307ca698db982ba48d6d223263b4d3dfb1973d055e316c44e75
MAINLINE_TAR_SHA=d958c61d44f5be4e6c874d860889e3f15a7f1d238c58458e91f685f79f721df1
# v5.10.262: Debian's orig tarball is the pristine upstream release.
STABLE_TAR=linux_5.10.262.orig.tar.xz
STABLE_TAR_SHA=e03766e4b2c246a20c9e2770aa599ee25c336d33b31c0980950230634e195339

fetch_mainline_tar() {
	local tar=$DL/linux-source-7.3.tar.xz
	if [ -f "$tar" ]; then verify "$tar" $MAINLINE_TAR_SHA; echo "$tar"; return; fi
	if [ ! -f "$DL/$MAINLINE_DEB" ]; then
		log "downloading linux-source-7.3 7.3~rc7-1~exp1"
		(cd "$DL" && "$TOP/scripts/apt-local.sh" download -q 'linux-source-7.3=7.3~rc7-1~exp1' >&2) ||
			die "download of linux-source-7.3=7.3~rc7-1~exp1 failed"
		# apt-get download escapes the ':' of an epoch; there is none here.
		[ -f "$DL/$MAINLINE_DEB" ] || die "apt-get download did not produce $MAINLINE_DEB"
	fi
	verify "$DL/$MAINLINE_DEB" $MAINLINE_DEB_SHA
	local x=$DL/deb-x
	rm -rf "$x"
	dpkg-deb -x "$DL/$MAINLINE_DEB" "$x" || die "cannot unpack $MAINLINE_DEB"
	mv "$x/usr/src/linux-source-7.3.tar.xz" "$tar.part"
	rm -rf "$x"
	verify "$tar.part" $MAINLINE_TAR_SHA
	mv "$tar.part" "$tar"
	echo "$tar"
}

fetch_stable_tar() {
	local tar=$DL/$STABLE_TAR
	if [ ! -f "$tar" ]; then
		log "downloading linux 5.10.262-1 source (orig tarball)"
		local d=$DL/src-5.10
		rm -rf "$d"; mkdir -p "$d"
		(cd "$d" && "$TOP/scripts/apt-local.sh" source --download-only -q 'linux=5.10.262-1' >&2) ||
			die "apt-get source --download-only linux=5.10.262-1 failed"
		[ -f "$d/$STABLE_TAR" ] || die "$STABLE_TAR not among the downloaded files"
		mv "$d/$STABLE_TAR" "$tar"
		rm -rf "$d"
	fi
	verify "$tar" $STABLE_TAR_SHA
	echo "$tar"
}

make_repo() { # base tarball tag message
	local repo tmp
	repo=$(base_repo "$1")
	if git -C "$repo" rev-parse -q --verify "refs/tags/$3" >/dev/null 2>&1; then
		git -C "$repo" config gc.auto 0
		return 0
	fi
	log "creating base repository $repo ($3)"
	tmp=$repo.tmp
	rm -rf "$tmp"; mkdir -p "$tmp"
	tar -C "$tmp" --strip-components=1 -xf "$2" || die "cannot unpack $2"
	git -C "$tmp" init -q
	git -C "$tmp" config core.autocrlf false
	# A one-commit repo of ~75,000 loose objects: git's automatic repack
	# would take minutes of CPU in the background of the first kernel build.
	git -C "$tmp" config gc.auto 0
	# Fixed identity and dates: the base commit id (base-commit: trailer) must
	# be the same on every machine.
	# Debian's tarball has a .gitignore of '/*'; -f adds the untouched tree.
	git -C "$tmp" add -A -f
	GIT_AUTHOR_DATE=2000-01-01T00:00:00Z GIT_COMMITTER_DATE=2000-01-01T00:00:00Z \
	git -C "$tmp" -c user.name=kseries -c user.email=kseries@invalid \
		commit -q -m "$4" || die "cannot commit base $1"
	git -C "$tmp" tag "$3"
	rm -rf "$repo"; mv "$tmp" "$repo"
}

[ $# -gt 0 ] || set -- $BASES
for b in "$@"; do
	check_base "$b"
	case $b in
	mainline) tar=$(fetch_mainline_tar) || exit 1
		make_repo mainline "$tar" "$(base_tag mainline)" \
		"Linux v7.3-rc7 as packaged by Debian (linux-source-7.3 7.3~rc7-1~exp1)

Not a pristine upstream tree: it carries Debian's patches. The commit id is
synthetic; rebase onto a real mainline tree before mailing." ;;
	5.10) tar=$(fetch_stable_tar) || exit 1
		make_repo 5.10 "$tar" "$(base_tag 5.10)" \
		"Linux v5.10.262 (pristine; Debian linux_5.10.262.orig.tar.xz)

The commit id is synthetic: a local snapshot of the release tarball." ;;
	esac
done
