#!/bin/bash
# Install what the project needs on a Debian bookworm machine, once.
# Everything comes from bookworm's own archive, through the system's sources.
# Usage: deps.sh          what building and testing need
#        deps.sh send     what 'make send' needs: git send-email (git-email)
. "$(dirname "$0")/lib.sh"
case ${1:-} in
'') pkgs=(build-essential bc bison flex libelf-dev libssl-dev dwarves kmod cpio rsync xz-utils
	  ccache sparse quilt qemu-system-x86 busybox-static git perl python3 python3-ply python3-git) ;;
# git-email's Recommends, which --no-install-recommends skips: Mail::Address
# (without it send-email does not start), address checks, SMTP over TLS.
send) pkgs=(git git-email perl libmailtools-perl libemail-valid-perl libauthen-sasl-perl
	    libio-socket-ssl-perl libnet-smtp-ssl-perl) ;;
*) die "usage: deps.sh [send]" ;;
esac
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
log "installing: ${missing[*]}"
[ "$(id -u)" = 0 ] || die "need root to install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$CACHE"
aptlog=$CACHE/apt-install.log
{ apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$aptlog" 2>&1 ||
	{ tail -20 "$aptlog" >&2; die "apt-get install ${missing[*]} failed (log: $aptlog)"; }
