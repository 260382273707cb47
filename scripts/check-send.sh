#!/bin/bash
# CI check of 'make send' (issue 15): runs scripts/send-prepare.sh into a
# scratch dir with a throwaway identity and a stand-in upstream clone,
# and asserts the acceptance list:
#   - every posting with patches gets its mails, the others are reported
#     as skipped, carries are listed;
#   - subjects numbered right: [PATCH vN m/n], 0/n cover letter when n > 1;
#     [PATCH 5.10] on the stable mail;
#   - To: non-empty; each posting's "expect" addresses on every mail;
#     linux-kselftest on every mail that touches tools/testing/selftests;
#   - base-commit: on every mail; each posting applies to its base alone
#     (a warning for now; KSERIES_SEND_STRICT_APPLY=1 makes it a failure);
#   - the sender's Signed-off-by once on each patch mail, nowhere else,
#     and only through the consent path (no terminal and no consent, a
#     consent for a non-throwaway address, the project's own identity:
#     all refused); the stored patches carry none and are not changed;
#     every mail's diff is the stored diff;
#   - the stable mail: "commit <sha> upstream." first, upstream author in
#     From:, the stored note, then the sign-off; without UPSTREAM it stops
#     with what it needs;
#   - v7.3's checkpatch.pl --strict, allowing only UNKNOWN_COMMIT_ID (and
#     GIT_COMMIT_ID on the stable mail); git send-email --dry-run.
# Usage: check-send.sh
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/lib-submissions.sh"
S=$TOP/scripts
"$S/deps.sh" send
[ -x "$(git --exec-path)/git-send-email" ] || die "git send-email is missing (scripts/deps.sh send)"
export PATH=/usr/bin:$PATH   # checkpatch's spdxcheck.py: Debian's python3
tmp=$(mktemp -d /tmp/kseries-check-send.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 warn=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
nok() { echo "not ok - $*"; fail=$((fail + 1)); }
check() { local n=$1; shift; if "$@" >/dev/null 2>&1; then ok "$n"; else nok "$n"; fi; }

before=$(cat "$TOP"/patches/*/* | sha256sum)
check "stored patches carry no Signed-off-by" bash -c "! grep -l '^Signed-off-by:' '$TOP'/patches/*/*.patch"

# The throwaway identity, over any git config of this clone.
ci_id=(GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=user.name "GIT_CONFIG_VALUE_0=CI Throwaway"
	GIT_CONFIG_KEY_1=user.email GIT_CONFIG_VALUE_1=ci-send@kseries.invalid)
sob="Signed-off-by: CI Throwaway <ci-send@kseries.invalid>"

# A stand-in upstream clone: a replace ref gives the upstream id of each
# stable backport a commit with a fixture changelog and its subject.
up=$tmp/upstream
git init -q "$up"
for f in $("$S/send-plan.sh" 2>/dev/null | awk -F'\t' '{ print $2 }'); do
	sha=$(sed -nE 's/^commit ([0-9a-f]{40}) upstream\.$/\1/p' "$f" | head -1)
	[ -n "$sha" ] || continue
	c=$(printf '%s\n\n%s\n\n%s\n%s\n' "$(patch_subject "$f")" \
		"Fixture upstream changelog: what the upstream commit changed." \
		"Signed-off-by: Upstream Author <upstream.author@kseries.invalid>" \
		"Reviewed-by: Upstream Reviewer <upstream.reviewer@kseries.invalid>" |
		env GIT_AUTHOR_NAME="Upstream Author" GIT_AUTHOR_EMAIL=upstream.author@kseries.invalid \
		GIT_COMMITTER_NAME=ci GIT_COMMITTER_EMAIL=ci@kseries.invalid \
		git -C "$up" commit-tree "$(git -C "$up" mktree </dev/null)")
	git -C "$up" update-ref "refs/replace/$sha" "$c"
done

# --- Consent: only the consent path signs. -------------------------------
prep() { env "$@" KSERIES_OUTGOING="$tmp/$1" "$S/send-prepare.sh" </dev/null; }
expect_refused() {
	local name=$1 pat=$2 dir=$3 rc=0 out
	shift 3
	out=$(env KSERIES_OUTGOING="$tmp/$dir" "$@" "$S/send-prepare.sh" 2>&1 </dev/null) || rc=$?
	if [ $rc != 0 ] && grep -q -- "$pat" <<<"$out" && [ ! -e "$tmp/$dir" ]; then ok "$name"
	else nok "$name (exit $rc): $(tail -2 <<<"$out")"; fi
}
expect_refused "no terminal, no consent: refused, nothing written" "needs their consent" r1 "${ci_id[@]}"
expect_refused "consent variable with a real-looking address: refused" "throwaway identity only" r2 \
	GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0="A Person" \
	GIT_CONFIG_KEY_1=user.email GIT_CONFIG_VALUE_1=a.person@example.org KSERIES_SEND_CONSENT=throwaway-identity
pid=$(patch_header "$(ls "$TOP"/patches/mainline/*.patch | head -1)" From | sed -E 's/.*<(.*)>.*/\1/')
expect_refused "the project's own identity: refused" "identity of this project" r3 \
	GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0=x \
	GIT_CONFIG_KEY_1=user.email "GIT_CONFIG_VALUE_1=$pid" KSERIES_SEND_CONSENT=throwaway-identity
expect_refused "consent variable with another value: refused" "must be 'throwaway-identity'" r4 \
	"${ci_id[@]}" KSERIES_SEND_CONSENT=yes

# --- Bad input to the data file and a patch that lands. -------------------
pt=$tmp/patches
cp -r "$TOP/patches" "$pt"
sed -e 's/^Subject: \[PATCH\] .*/Subject: [PATCH] blk-cgroup: fixture for check-send/' -e '/^ [a-z]/{/initialization\|XDR structs/d}' \
	"$TOP/patches/mainline/$(sed -n 6p "$TOP/patches/mainline/series")" >"$pt/mainline/0099-blk-cgroup-fixture.patch"
echo 0099-blk-cgroup-fixture.patch >>"$pt/mainline/series"
expect_fail() {
	local name=$1 pat=$2 rc=0 out
	shift 2
	out=$(env "$@" 2>&1 </dev/null) || rc=$?
	if [ $rc != 0 ] && grep -q -- "$pat" <<<"$out"; then ok "$name: $(grep -m1 -- "$pat" <<<"$out")"
	else nok "$name (exit $rc, wanted /$pat/): $(tail -2 <<<"$out")"; fi
}
grep -q $'^blk-cgroup\t.*0099-blk-cgroup-fixture' <(KSERIES_PATCHES=$pt "$S/send-plan.sh" mainline 2>/dev/null) &&
	ok "a new blk-cgroup: patch is matched to the blk-cgroup posting by its subject" || nok "new blk-cgroup: patch not matched"
awk '/^posting +nfs-client/ { skip = 1 } /^$/ { skip = 0 } !skip' "$SUBMISSIONS" >"$tmp/sub.nonfs"
expect_fail "a patch no posting matches" "matches no posting" KSERIES_SUBMISSIONS="$tmp/sub.nonfs" "$S/send-plan.sh" mainline
sed 's/^cover  /covr   /' "$SUBMISSIONS" >"$tmp/sub.badkey"
expect_fail "an unknown key in the data file" 'unknown key "covr"' KSERIES_SUBMISSIONS="$tmp/sub.badkey" "$S/send-plan.sh"
# cover-letter.txt without its blk-cgroup part (a banner between "=====" lines)
awk '/^=====/ { if (!inb) { inb = 1; buf = $0 "\n"; next }
		inb = 0; buf = buf $0 "\n"; skip = buf ~ /blk-cgroup/; if (!skip) printf "%s", buf; next }
	inb { buf = buf $0 "\n"; next } !skip' "$TOP/cover-letter.txt" >"$tmp/cover.nopart"
expect_fail "a posting with patches but no cover-letter part" "needs a part for posting blk-cgroup" \
	"${ci_id[@]}" KSERIES_SEND_CONSENT=throwaway-identity KSERIES_PATCHES="$pt" KSERIES_OUTGOING="$tmp/o5" \
	KSERIES_COVER_LETTER="$tmp/cover.nopart" "$S/send-prepare.sh" blk-cgroup
{ cat "$tmp/cover.nopart"; printf '\n=====\nPosting 9, blk-cgroup fixture\n=====\n\nSubject: [PATCH 0/1] blk-cgroup: fixture\n\nText.\n'; } >"$tmp/cover"
expect_fail "a v3 posting without a changelog" "needs a changelog" \
	"${ci_id[@]}" KSERIES_SEND_CONSENT=throwaway-identity KSERIES_PATCHES="$pt" KSERIES_OUTGOING="$tmp/o6" \
	KSERIES_COVER_LETTER="$tmp/cover" "$S/send-prepare.sh" blk-cgroup

mkdir -p "$tmp/notes/mainline"
echo "v1 -> v2: fixture" >"$tmp/notes/mainline/no-such-patch.txt"
expect_fail "a notes file that names no stored patch" "names no stored patch" \
	"${ci_id[@]}" KSERIES_SEND_CONSENT=throwaway-identity KSERIES_OUTGOING="$tmp/o7" \
	KSERIES_NOTES="$tmp/notes" "$S/send-prepare.sh" blk-cgroup

# --- Without UPSTREAM the stable mail stops, saying what it needs. --------
stable=$(for p in $(sub_postings); do if [ "$(sub_field "$p" kind)" = stable ]; then echo "$p"; fi; done)
for p in $stable; do
	rc=0
	out=$(env "${ci_id[@]}" KSERIES_SEND_CONSENT=throwaway-identity KSERIES_OUTGOING="$tmp/noup" \
		"$S/send-prepare.sh" "$p" 2>&1 </dev/null) || rc=$?
	if [ $rc = 4 ] && grep -q 'UPSTREAM is not set' <<<"$out" && grep -q 'make send UPSTREAM=' <<<"$out" &&
		[ ! -e "$tmp/noup/$p" ]; then ok "$p without UPSTREAM: stops (exit 4) and says what it needs"
	else nok "$p without UPSTREAM (exit $rc): $(tail -2 <<<"$out")"; fi
done

# --- The real run. --------------------------------------------------------
o=$tmp/out
rc=0
out=$(env "${ci_id[@]}" KSERIES_SEND_CONSENT=throwaway-identity KSERIES_OUTGOING="$o" UPSTREAM="$up" \
	"$S/send-prepare.sh" 2>&1 </dev/null) || rc=$?
[ $rc = 0 ] && ok "send-prepare.sh with consent and UPSTREAM" || { nok "send-prepare.sh (exit $rc): $(tail -5 <<<"$out")"; }
[ "$(cat "$TOP"/patches/*/* | sha256sum)" = "$before" ] && ok "patches/ unchanged" || nok "patches/ changed"

plan=$("$S/send-plan.sh" 2>/dev/null)
cp_repo=$(base_repo mainline)
# A mail found clean is remembered by its content, checkpatch's files and
# the ignore list (as in checkpatch.sh): a warm run checks only what changed.
cptool=$(cat "$cp_repo"/scripts/checkpatch.pl "$cp_repo"/scripts/spelling.txt "$cp_repo"/scripts/const_structs.checkpatch | sha256sum | cut -c1-16)
mkdir -p "$CACHE/checkpatch-clean"
cpcheck() {
	local memo r
	memo=$CACHE/checkpatch-clean/$( (cat "$2"; echo "$cptool $1") | sha256sum | cut -c1-32)
	[ ! -f "$memo" ] || return 0
	r=$(cd "$cp_repo" && ./scripts/checkpatch.pl --strict --no-summary --quiet --show-types --ignore "$1" "$2" 2>&1) &&
		[ -z "$r" ] && : >"$memo" && return 0
	echo "$r"; return 1
}
for p in $(sub_postings); do
	kind=$(sub_field "$p" kind) base=$(sub_field "$p" base)
	mapfile -t files < <(printf '%s\n' "$plan" | awk -F'\t' -v p="$p" '$1 == p { print $2 }')
	n=${#files[@]}
	if [ "$kind" = carry ]; then
		miss=0; for f in "${files[@]}"; do grep -qF "  $base: $(patch_subject "$f")" "$o/README" || miss=1; done
		[ $miss = 0 ] && ok "$p: $n carries listed as not mailed" || nok "$p: carries missing from README"
		continue
	fi
	if [ $n = 0 ]; then
		grep -q "^skipped: $p:" "$o/README" && [ ! -e "$o/$p" ] && ok "$p: no patches yet, reported as skipped" ||
			nok "$p: no patches, but not reported as skipped"
		continue
	fi
	d=$o/$p
	mapfile -t mails < <(ls "$d"/*.patch 2>/dev/null)
	want=$n; [ "$kind" = series ] && [ $n -gt 1 ] && want=$((n + 1))
	[ ${#mails[@]} = $want ] && ok "$p: $want mails for $n patches" || { nok "$p: ${#mails[@]} mails for $n patches"; continue; }
	v=$(sub_field "$p" version); pre=PATCH; [ "${v:-1}" = 1 ] || pre="PATCH v$v"
	# Each posting applies to its base on its own.
	idx=$tmp/index.$p
	if GIT_INDEX_FILE=$idx git -C "$(base_repo "$base")" read-tree "$(base_tag "$base")" &&
		GIT_INDEX_FILE=$idx git -C "$(base_repo "$base")" apply --cached "${files[@]}" 2>"$tmp/apply.err"; then
		ok "$p: applies to $(base_tag "$base") on its own"
	elif [ -n "${KSERIES_SEND_STRICT_APPLY:-}" ]; then
		nok "$p: does not apply to $(base_tag "$base") on its own: $(head -1 "$tmp/apply.err")"
	else
		# Reported, not failed (yet): the stored stacks are one series, so a
		# later posting's context can depend on an earlier one's (the
		# selftests Makefile's TARGETS).  KSERIES_SEND_STRICT_APPLY=1 fails.
		echo "warn - $p: does not apply to $(base_tag "$base") on its own (the receiving tree's git am will fail): $(head -1 "$tmp/apply.err")"
		warn=$((warn + 1))
	fi
	rm -f "$idx"
	i=0; [ $want -gt $n ] && i=-1
	for m in "${mails[@]}"; do
		i=$((i + 1)); mn=${m#$o/}
		subj=$(patch_header "$m" Subject)
		if [ "$kind" = stable ]; then wantp="[PATCH 5.10]"
		elif [ $n = 1 ]; then wantp="[$pre]"
		else wantp="[$pre $i/$n]"; fi
		[ "${subj%%]*}]" = "$wantp" ] && ok "$mn: $wantp" || nok "$mn: subject \"$subj\", wanted $wantp"
		to=$(patch_header "$m" To) cc=$(patch_header "$m" Cc)
		[ -n "$to" ] && grep -q '@' <<<"$to" || nok "$mn: empty To:"
		bad=
		while read -r a; do [ -z "$a" ] || grep -qiF -- "$a" <<<"$to, $cc" || bad="$bad $a"; done < <(sub_field "$p" expect)
		if [ $i -ge 1 ] && grep -q '^+++ b/tools/testing/selftests/' "$m"; then
			grep -qiF linux-kselftest@vger.kernel.org <<<"$to, $cc" || bad="$bad linux-kselftest@vger.kernel.org"
		fi
		[ -z "$bad" ] && ok "$mn: To: and Cc: have $(sub_field "$p" expect | tr '\n' ' ')" || nok "$mn: missing recipients:$bad"
		grep -qE '^base-commit: [0-9a-f]{40}$' "$m" && ok "$mn: base-commit" || nok "$mn: no base-commit"
		nsob=$(grep -c '^Signed-off-by:' "$m" || true)
		if [ $i = 0 ]; then
			[ "$nsob" = 0 ] && ok "$mn: cover letter, no sign-off" || nok "$mn: sign-off in the cover letter"
			continue
		fi
		[ "$(grep -cxF "$sob" "$m")" = 1 ] && [ "$(awk '/^---$/ { print prev; exit } { prev = $0 }' "$m")" = "$sob" ] &&
			ok "$mn: the sender's sign-off, once, last before ---" || nok "$mn: sender's sign-off missing, repeated or misplaced"
		f=${files[$((i - 1))]}
		if cmp -s <(sed -n '/^diff --git/,$p' "$f" | grep -v '^base-commit:' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}') \
			<(sed -n '/^diff --git/,$p' "$m" | grep -v '^base-commit:' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'); then
			ok "$mn: the stored diff, unchanged"
		else nok "$mn: its diff differs from ${f#$TOP/}"; fi
		nt=$TOP/scripts/notes/$base/$(basename "$f" .patch | cut -d- -f2-).txt
		if [ -f "$nt" ]; then
			awk -v l="$(head -1 "$nt")" 'on && $0 == l { f = 1 } /^---$/ { on = 1 } END { exit !f }' "$m" &&
				ok "$mn: its notes (${nt#$TOP/}) below the ---" || nok "$mn: ${nt#$TOP/} is not below its ---"
		fi
		ign=UNKNOWN_COMMIT_ID$(maintained_ign "$f" "$base")
		if [ "$kind" = stable ]; then
			ign=$ign,GIT_COMMIT_ID
			sha=$(sed -nE 's/^commit ([0-9a-f]{40}) upstream\.$/\1/p' "$f")
			first=$(awk 'b { print; exit } /^$/ { b = 1 }' "$m")
			[ "$first" = "commit $sha upstream." ] && ok "$mn: first body line is the upstream commit" || nok "$mn: first line \"$first\""
			[ "$(patch_header "$m" From)" = "Upstream Author <upstream.author@kseries.invalid>" ] &&
				ok "$mn: upstream author in From:" || nok "$mn: From: is $(patch_header "$m" From)"
			awk -v sob="$sob" '/^Fixture upstream changelog/ { a = NR } /^\[ 5\.10:/ { b = NR } $0 == sob { c = NR }
				END { exit !(a && b && c && a < b && b < c) }' "$m" &&
				ok "$mn: upstream changelog, then the stored note, then the sign-off" || nok "$mn: parts out of order"
		fi
		if r=$(cpcheck "$ign" "$m"); then ok "$mn: checkpatch --strict clean (ignoring $ign)"
		else nok "$mn: checkpatch --strict: $r"; fi
	done
	# git send-email --dry-run over the posting: every mail, to its recipients.
	if r=$(cd "$tmp" && env "${ci_id[@]}" git send-email --dry-run --confirm=never --quiet \
			--smtp-server=/bin/false "${mails[@]}" 2>&1) &&
		[ "$(grep -c '^Dry-Sent ' <<<"$r")" = ${#mails[@]} ]; then
		ok "$p: git send-email --dry-run sends ${#mails[@]} mails"
	else nok "$p: git send-email --dry-run: $(tail -3 <<<"$r")"; fi
done
echo "send: $pass passed, $fail failed, $warn warnings"
[ $fail = 0 ]
