#!/bin/bash
# Run apt-get against a project-local sources list (experimental and
# bullseye-security) without touching the system's apt configuration.
# The mirror is the system's own: the URI its apt sources use for Debian's
# archive and for debian-security (one-line .list files and deb822
# .sources), so a local mirror or proxy needs no change here.
# KSERIES_MIRROR=http://host overrides both ($KSERIES_MIRROR/debian and
# $KSERIES_MIRROR/debian-security).
# Usage: apt-local.sh <apt-get args...>
#        apt-local.sh --mirrors    (print the two URIs it would use)
. "$(dirname "$0")/lib.sh"

# system_uris: "SUITE URI" for each deb/deb-src entry of the system's
# sources (KSERIES_APT_ETC replaces /etc/apt, for make tooling).
system_uris() {
	local etc=${KSERIES_APT_ETC:-/etc/apt} f
	for f in "$etc/sources.list" "$etc"/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		# deb [options] URI SUITE COMPONENT...
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" || $1 == "deb-src" { print $3, $2 }'
	done
	for f in "$etc"/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# deb822 stanzas: every URI with every suite; "Enabled: no" skipped.
		awk 'function flush() { if (on) for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print s[j], u[i]; nu = ns = 0; on = 1 }
		     BEGIN { on = 1 } /^#/ { next }
		     /^[ \t]*$/ { flush(); next }
		     tolower($1) == "uris:" { for (i = 2; i <= NF; i++) u[++nu] = $i }
		     tolower($1) == "suites:" { for (i = 2; i <= NF; i++) s[++ns] = $i }
		     tolower($1) == "enabled:" && tolower($2) == "no" { on = 0 }
		     END { flush() }' "$f"
	done
}
# A Debian suite: a codename or alias, maybe with -updates, -security, ...
debian_suite='^(buzz|rex|bo|hamm|slink|potato|woody|sarge|etch|lenny|squeeze|wheezy|jessie|stretch|buster|bullseye|bookworm|trixie|forky|duke|sid|experimental|stable|testing|unstable|oldstable|oldoldstable)([-/][a-z-]+)?$'
if [ -n "${KSERIES_MIRROR:-}" ]; then
	archive=$KSERIES_MIRROR/debian security=$KSERIES_MIRROR/debian-security
else
	uris=$(system_uris | awk -v re="$debian_suite" '$1 ~ re')
	archive=$(awk '$1 !~ /-security$|\/updates$/ { print $2; exit }' <<<"$uris")
	security=$(awk '$1 ~ /-security$|\/updates$/ { print $2; exit }' <<<"$uris")
	[ -n "$archive" ] || die "no Debian archive in the system's apt sources (${KSERIES_APT_ETC:-/etc/apt}); set KSERIES_MIRROR=http://<mirror host>"
	# No security entry: the archive's host serves debian-security too
	# (true of Debian's own mirror network and of apt proxies).
	[ -n "$security" ] || security=${archive%/}-security
fi
archive=${archive%/} security=${security%/}
if [ "${1:-}" = --mirrors ]; then echo "$archive"; echo "$security"; exit 0; fi

APT=$CACHE/apt
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/sources.list.d"
key=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$APT/sources.list" <<SRC
deb [signed-by=$key] $archive experimental main
deb-src [signed-by=$key] $security bullseye-security main
SRC

opts=(-o "Dir::Etc::sourcelist=$APT/sources.list"
      -o "Dir::Etc::sourceparts=$APT/sources.list.d"
      -o "Dir::State::Lists=$APT/lists"
      -o "Dir::Cache=$APT/cache"
      -o "APT::Get::List-Cleanup=0"
      -o "APT::Sandbox::User=root")

# Refresh the lists once a day at most, and when the mirror changed (lists
# are per URI); the versions we want are pinned.
if { [ -f "$APT/mirrors" ] && [ "$(cat "$APT/mirrors")" != "$archive $security" ]; } ||
   [ -z "$(find "$APT/lists" -maxdepth 1 -name '*Sources*' -mmin -1440 2>/dev/null)" ]; then
	log "apt-get update (project-local lists in $APT, from $archive and $security)"
	apt-get "${opts[@]}" update -q --error-on=any >&2 || die "apt-get update of the project-local lists failed"
fi
echo "$archive $security" >"$APT/mirrors"
exec apt-get "${opts[@]}" "$@"
