# shellcheck shell=bash
# Readers of scripts/submissions.txt and of stored patches; sourced after
# lib.sh.  KSERIES_SUBMISSIONS replaces the data file (make tooling).
SUBMISSIONS=${KSERIES_SUBMISSIONS:-$TOP/scripts/submissions.txt}

# sub_postings: every posting name, in file order.
sub_postings() { awk '$1 == "posting" { print $2 }' "$SUBMISSIONS"; }

# sub_field POSTING KEY: the values of KEY in that stanza, one a line.
sub_field() {
	awk -v p="$1" -v k="$2" '
		/^[ \t]*$/ { cur = ""; next } /^#/ { next }
		$1 == "posting" { cur = $2 }
		cur == p && $1 == k { sub(/^[^ \t]+[ \t]+/, ""); print }' "$SUBMISSIONS"
}

# sub_check: the data file is well-formed (known keys, each stanza has
# what its kind needs, no posting twice).
sub_check() {
	[ -f "$SUBMISSIONS" ] || die "no $SUBMISSIONS"
	awk '
		function fail(m) { print FILENAME ":" NR ": " m > "/dev/stderr"; bad = 1 }
		function done() { if (cur != "") { if (!(cur SUBSEP "base" in seen)) fail("posting " cur " has no base"); if (!(cur SUBSEP "kind" in seen)) fail("posting " cur " has no kind"); if (!(cur SUBSEP "match" in seen)) fail("posting " cur " has no match") } }
		/^#/ { next } /^[ \t]*$/ { done(); cur = ""; next }
		$1 == "posting" { if ($2 in names) fail("posting " $2 " twice"); names[$2] = 1; cur = $2; next }
		cur == "" { fail("\"" $1 "\" outside a stanza (start one with: posting NAME)"); next }
		$1 !~ /^(base|kind|version|status|match|cover|to|cc|expect)$/ { fail("unknown key \"" $1 "\""); next }
		$1 == "base" && $2 !~ /^(mainline|5\.10)$/ { fail("base must be mainline or 5.10, not \"" $2 "\"") }
		$1 == "kind" && $2 !~ /^(series|stable|carry)$/ { fail("kind must be series, stable or carry, not \"" $2 "\"") }
		$1 == "version" && $2 !~ /^[1-9][0-9]*$/ { fail("version must be a number (1 for a first posting), not \"" $2 "\"") }
		$1 ~ /^(to|cc|expect)$/ && $2 !~ /^[^ @<>]+@[^ @<>]+\.[a-z]+$/ && $0 !~ /<[^ @<>]+@[^ @<>]+>$/ { fail("not an address: " $2) }
		{ seen[cur, $1] = 1 }
		END { done(); exit bad }' "$SUBMISSIONS" || die "$SUBMISSIONS is malformed"
}

# patch_header FILE NAME: the unfolded value of a mail header.
patch_header() {
	awk -v h="$2" '
		/^$/ { exit } 
		/^[ \t]/ { if (on) v = v $0; next }
		{ on = 0 } tolower($0) ~ "^" tolower(h) ":" { on = 1; v = $0; sub(/^[^:]*:[ \t]*/, "", v) }
		END { gsub(/[ \t]+/, " ", v); print v }' "$1"
}

# patch_subject FILE: the subject without its "[PATCH ...]" prefix.
patch_subject() { patch_header "$1" Subject | sed -E 's/^\[[^]]*\] *//'; }
