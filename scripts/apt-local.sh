#!/bin/bash
# Run apt-get against a project-local sources list (experimental and
# bullseye-security) without touching the system's apt configuration.
# Usage: apt-local.sh <apt-get args...>
. "$(dirname "$0")/lib.sh"

APT=$CACHE/apt
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/sources.list.d"
mirror=${KSERIES_MIRROR:-http://deb.debian.org}
key=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$APT/sources.list" <<SRC
deb [signed-by=$key] $mirror/debian experimental main
deb-src [signed-by=$key] $mirror/debian-security bullseye-security main
SRC

opts=(-o "Dir::Etc::sourcelist=$APT/sources.list"
      -o "Dir::Etc::sourceparts=$APT/sources.list.d"
      -o "Dir::State::Lists=$APT/lists"
      -o "Dir::Cache=$APT/cache"
      -o "APT::Get::List-Cleanup=0"
      -o "APT::Sandbox::User=root")

# Refresh the lists once a day at most; the versions we want are pinned.
if [ -z "$(find "$APT/lists" -maxdepth 1 -name '*Sources*' -mmin -1440 2>/dev/null)" ]; then
	log "apt-get update (project-local lists in $APT)"
	apt-get "${opts[@]}" update -q --error-on=any >&2 || die "apt-get update of the project-local lists failed"
fi
exec apt-get "${opts[@]}" "$@"
