#!/bin/bash
# Write the mails of every posting of scripts/submissions.txt into
# $KSERIES_OUTGOING (default results/outgoing)/<posting>/, ready for
# git send-email; nothing is sent.  The stored patches are read, never
# changed: each mail is a copy with
#   - From: the sender (git config user.name/user.email of this clone),
#     or, on a stable backport, the upstream author;
#   - Subject: [PATCH vN m/n] (no "vN" for a first posting, no "m/n" for a
#     single patch), [PATCH 5.10] for stable;
#   - To:/Cc: from send-recipients.sh and the data file;
#   - the sender's Signed-off-by, added here and only after their consent;
#   - a 0/n cover letter from cover-letter.txt when n > 1; for a single
#     patch the cover-letter part goes below its "---";
#   - below a patch's "---", its notes from scripts/notes/<base>/<name>.txt
#     (<name>: the patch file's name without "NNNN-" and ".patch"), such as
#     the v2 -> v3 changes of a resent patch: git am drops what is below
#     "---", so the stored patch cannot keep them;
#   - the stored diff and base-commit: trailer, byte for byte.
# Consent: asked on the terminal, after pointing at
# Documentation/process/coding-assistants.rst.  Without a terminal only
# KSERIES_SEND_CONSENT=throwaway-identity is accepted, and only with a
# throwaway identity whose address ends in ".invalid" (CI).
# Exit status: 0 all written; 4 a stable mail stopped for want of
# UPSTREAM=/path/to/linux (the others are written); 1 an error.
# Usage: [UPSTREAM=/path/to/linux] send-prepare.sh [POSTING...]
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/lib-submissions.sh"
out=${KSERIES_OUTGOING:-$RESULTS/outgoing}
sub_check

# --- The sender and their consent. ------------------------------------
name=$(git -C "$TOP" config user.name || true)
email=$(git -C "$TOP" config user.email || true)
[ -n "$name" ] && [ -n "$email" ] ||
	die "no sender identity: set yours with git config user.name \"Your Name\"; git config user.email you@example.org"
project_ids=$(for f in "$TOP"/patches/*/*.patch; do patch_header "$f" From; done | sort -u)
if printf '%s\n' "$project_ids" | grep -qiF -- "<$email>"; then
	die "git config user.email here is $email, the identity of this project's stored patches, not a person's: set your own (git config user.name/user.email) before 'make send'"
fi
signoff="Signed-off-by: $name <$email>"
if [ -n "${KSERIES_SEND_CONSENT:-}" ]; then
	[ "$KSERIES_SEND_CONSENT" = throwaway-identity ] ||
		die "KSERIES_SEND_CONSENT must be 'throwaway-identity' (CI only); a person answers the prompt instead"
	case $email in
	*.invalid) ;;
	*) die "KSERIES_SEND_CONSENT is for CI's throwaway identity only (an address ending in .invalid), not $email: run 'make send' on a terminal and answer the prompt" ;;
	esac
	log "CI consent for the throwaway identity $name <$email>"
elif [ -t 0 ]; then
	cat >&2 <<MSG

These patches were prepared with an LLM-based coding assistant (see their
Assisted-by: tags).  Documentation/process/coding-assistants.rst: an AI
must not add a Signed-off-by; the human submitter reviews all of it, is
responsible for it, and adds their own Signed-off-by to certify the
Developer Certificate of Origin (Documentation/process/submitting-patches.rst).

Adding to every mail:  $signoff

MSG
	read -r -p "Have you reviewed every patch, and do you certify the DCO for them? Type 'yes': " ans
	[ "$ans" = yes ] || die "no consent given: nothing written"
else
	die "the sender's Signed-off-by needs their consent: run 'make send' on a terminal (CI: KSERIES_SEND_CONSENT=throwaway-identity with a .invalid address)"
fi
export SEND_SIGNOFF=$signoff

# --- Notes for below the "---": each names a stored patch. ------------
notes_dir=${KSERIES_NOTES:-$TOP/scripts/notes}
# notes_of PATCH: its notes file, if it has one.
notes_of() {
	local n
	n=$notes_dir/$(basename "$(dirname "$1")")/$(basename "$1" .patch | cut -d- -f2-).txt
	[ -f "$n" ] && echo "$n"
	return 0
}
for n in "$notes_dir"/*/*.txt; do
	[ -f "$n" ] || continue
	b=$(basename "$(dirname "$n")")
	compgen -G "$(series_dir "$b")/[0-9][0-9][0-9][0-9]-$(basename "$n" .txt).patch" >/dev/null ||
		die "${n#$TOP/} names no stored patch of $b (patches/$b/NNNN-$(basename "$n" .txt).patch)"
done

# --- Which patches go where. ------------------------------------------
plan=$("$TOP/scripts/send-plan.sh" 2> >(grep -v '^skip:' >&2)) || die "scripts/send-plan.sh failed"
[ $# -gt 0 ] || set -- $(sub_postings)
for p in "$@"; do sub_field "$p" base | grep -q . || die "no posting \"$p\" in ${SUBMISSIONS#$TOP/}"; done
mkdir -p "$out"
scratch=$(mktemp -d /tmp/kseries-send.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

# headers FILE: the To:/Cc: header lines for the recipients file FILE
# ("to<TAB>addr" lines): deduplicated, an address in To: not again in Cc:.
headers() {
	awk -F'\t' '
		{ k = tolower($2); if (k in seen) next; seen[k] = 1; a[$1] = a[$1] (a[$1] == "" ? "" : ",\n    ") $2 }
		END { if (a["to"] != "") print "To: " a["to"]; if (a["cc"] != "") print "Cc: " a["cc"] }' \
		<(grep '^to' "$1"; grep '^cc' "$1")
}

# base_commit BASE: the commit the stored series of BASE applies to.
base_commit() { git -C "$(base_repo "$1")" rev-parse "$(base_tag "$1")^{commit}"; }

# mail IN OUT PREFIX HDRS [BELOW]: the stored patch IN as a mail, with the
# sender as From:, PREFIX in the subject, the header file HDRS after the
# subject, the sign-off before the first "---", BELOW after it, and a
# base-commit: trailer ($bc) if the stored patch has none (git format-patch
# --base writes it in the first patch only).
mail() {
	awk -v prefix="$3" -v from="From: $name <$email>" -v hdrs="$4" -v so="$signoff" -v below="${5:-}" -v bc="$bc" '
		END { if (!hasbc) { print ""; print "base-commit: " bc } }
		/^base-commit: / { hasbc = 1 }
		function cat(f,   l) { while ((getline l < f) > 0) print l; close(f) }
		state == 0 && NR == 1 { print; next }
		state == 0 && /^[ \t]/ { if (skip) next; print; next }
		state == 0 && /^$/ { cat(hdrs); print; state = 1; next }
		state == 0 { skip = 0 }
		state == 0 && /^From:/ { print from; skip = 1; next }
		state == 0 && /^Subject:/ { sub(/^Subject: *\[[^]]*\]/, "Subject: [" prefix "]"); print; next }
		state == 0 { print; next }
		state == 1 && /^---$/ { print so; print; if (below != "") { cat(below); print "" } state = 2; next }
		{ print }' "$1" >"$2"
	grep -q "^base-commit: $bc\$" "$2" ||
		die "${1#$TOP/} names a base-commit other than $bc, the $(base_tag "$base") commit of $(base_repo "$base")"
}

# diffstat PATCH...: a git-like diffstat of the patches together.  A file
# that one of them creates counts only its final lines: a later patch's
# deletions in it are not deletions from the tree.
diffstat() {
	for f in "$@"; do git apply --numstat "$f"; done | sort -t$'\t' -k3,3 -s | awk -F'\t' -v created="$(
		for f in "$@"; do git apply --summary "$f"; done | awk '$1 == "create" { printf "%s ", $NF }')" '
		BEGIN { split(created, c, " "); for (i in c) new[c[i]] = 1 }
		!($3 in a) { order[++n] = $3 } { a[$3] += $1; d[$3] += $2 }
		END { for (f in new) if (f in a) { a[f] -= d[f]; d[f] = 0 }
			w = 0; m = 0
			for (i = 1; i <= n; i++) { f = order[i]; if (length(f) > w) w = length(f); if (a[f] + d[f] > m) m = a[f] + d[f] }
			cw = length(m ""); bar = 78 - w - cw - 4; if (bar < 10) bar = 10
			for (i = 1; i <= n; i++) { f = order[i]; t = a[f] + d[f]; pa = a[f]; pd = d[f]
				if (m > bar) { pa = int(a[f] * bar / m + 0.5); pd = int(d[f] * bar / m + 0.5); if (a[f] && !pa) pa = 1; if (d[f] && !pd) pd = 1 }
				s = ""; for (j = 0; j < pa; j++) s = s "+"; for (j = 0; j < pd; j++) s = s "-"
				printf " %-" w "s | %" cw "d %s\n", f, t, s; ta += a[f]; td += d[f] }
			l = sprintf(" %d file%s changed", n, n == 1 ? "" : "s")
			if (ta) l = l sprintf(", %d insertion%s(+)", ta, ta == 1 ? "" : "s")
			if (td) l = l sprintf(", %d deletion%s(-)", td, td == 1 ? "" : "s")
			print l }'
}

carries=() skipped=() written=() stopped=()
rc=0
for p in "$@"; do
	kind=$(sub_field "$p" kind) base=$(sub_field "$p" base)
	mapfile -t files < <(printf '%s\n' "$plan" | awk -F'\t' -v p="$p" '$1 == p { print $2 }')
	if [ "$kind" = carry ]; then
		for f in "${files[@]}"; do carries+=("$base: $(patch_subject "$f")"); done
		continue
	fi
	if [ ${#files[@]} = 0 ]; then
		log "skip: posting $p has no patches yet"
		skipped+=("$p"); continue
	fi
	# The cover-letter part first: a missing one stops before any work.
	cov=$scratch/$p.cover
	"$TOP/scripts/send-cover.sh" "$p" >"$cov" || die "cover-letter.txt needs a part for posting $p (its banner naming \"$(sub_field "$p" cover)\")"
	if [ "$kind" = series ]; then
		v=$(sub_field "$p" version); v=${v:-1}
		pre=PATCH; [ "$v" = 1 ] || pre="PATCH v$v"
		if [ "$v" != 1 ] && ! grep -qiE '^(changes (in|since) v[0-9]|changelog|v[0-9]+ *(->|\.\.) *v[0-9]+|v[0-9]+:)' "$cov"; then
			die "posting $p is v$v: its cover-letter part needs a changelog with links to the earlier versions (a line like \"Changes in v$v:\")"
		fi
		grep -q 'https\?://' "$cov" || [ "$v" = 1 ] ||
			die "posting $p is v$v: its cover-letter part's changelog needs links (lore.kernel.org) to the earlier versions"
	fi
	d=$out/$p
	rm -rf "$d"; mkdir -p "$d"
	bc=$(base_commit "$base") || die "no $base base repository: make bases"
	n=${#files[@]}
	rcp=$scratch/$p.rcpt
	"$TOP/scripts/send-recipients.sh" "$base" "${files[@]}" >"$rcp.gm"
	# A stable backport goes to stable; the subsystem's people are Cc'd.
	[ "$kind" != stable ] || sed -i 's/^to\t/cc\t/' "$rcp.gm"
	{ sub_field "$p" to | sed 's/^/to\t/'; cat "$rcp.gm"; sub_field "$p" cc | sed 's/^/cc\t/'; } >"$rcp"
	headers "$rcp" >"$rcp.h"
	if [ "$kind" = stable ]; then
		below=$scratch/$p.below
		"$TOP/scripts/send-cover.sh" --below "$p" | tail -n +2 >"$below" || die "no cover-letter part for $p"
		for f in "${files[@]}"; do
			o=$d/0001-$(basename "$f" | cut -d- -f2-)
			if "$TOP/scripts/send-stable.sh" "$f" "$below" >"$scratch/stable.mail"; then :; else
				s=$?; rm -rf "$d"
				[ $s = 4 ] || die "composing the stable mail of ${f#$TOP/} failed"
				stopped+=("$p"); rc=4; continue 2
			fi
			# The composed mail has no To:/Cc:; its sign-off is in place.
			awk -v hdrs="$rcp.h" 'function cat(f, l) { while ((getline l < f) > 0) print l; close(f) }
				!done && /^$/ { cat(hdrs); done = 1 } { print }' "$scratch/stable.mail" >"$o"
			grep -q '^base-commit: ' "$o" || printf '\nbase-commit: %s\n' "$bc" >>"$o"
			grep -q "^base-commit: $bc\$" "$o" || die "${f#$TOP/} names a base-commit other than $bc"
		done
		written+=("$p")
		continue
	fi
	if [ "$n" = 1 ]; then
		{
			nt=$(notes_of "${files[0]}")
			[ -z "$nt" ] || { cat "$nt"; echo; }
			"$TOP/scripts/send-cover.sh" --below "$p" | tail -n +2
		} >"$scratch/below"
		mail "${files[0]}" "$d/0001-$(basename "${files[0]}" | cut -d- -f2-)" "$pre" "$rcp.h" "$scratch/below"
	else
		i=0
		for f in "${files[@]}"; do
			i=$((i + 1))
			mail "$f" "$d/$(printf '%04d' $i)-$(basename "$f" | cut -d- -f2-)" "$pre $i/$n" "$rcp.h" "$(notes_of "$f")"
		done
		{
			echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
			echo "From: $name <$email>"
			echo "Date: $(date -R)"
			echo "Subject: [$pre 0/$n] $(head -1 "$cov")"
			cat "$rcp.h"
			echo
			tail -n +2 "$cov"
			echo
			echo "$name ($n):"
			for f in "${files[@]}"; do patch_subject "$f" | fold -s -w 72 | sed -e '1s/^/  /' -e '2,$s/^/    /' -e 's/ *$//'; done
			echo
			diffstat "${files[@]}"
			echo
			echo "base-commit: $bc"
		} >"$d/0000-cover-letter.patch"
	fi
	written+=("$p")
done

# --- What was written, and what was not. --------------------------------
{
	echo "Mails written by scripts/send-prepare.sh on $(date -u +%F) for $name <$email>; nothing was sent."
	echo
	echo "Review each, then, for each posting:"
	echo "  git send-email --dry-run $out/<posting>/*.patch   # shows what would go where"
	echo "  git send-email $out/<posting>/*.patch             # sends"
	echo "Recipients are in each mail's To:/Cc: headers; git send-email also Cc's the"
	echo "people named in Signed-off-by:/Cc: tags (--suppress-cc to change that)."
	echo
	for p in "${written[@]}"; do echo "written: $p ($(ls "$out/$p" | wc -l) mails)"; done
	for p in "${skipped[@]}"; do echo "skipped: $p: no patch in patches/ matches it yet"; done
	for p in "${stopped[@]}"; do echo "stopped: $p: needs UPSTREAM=/path/to/a/mainline/clone"; done
	echo
	echo "Not mailed: downstream carries of the 5.10 stack.  Only the nvme backport is"
	echo "stable material; these are new features or cleanups that mainline has not"
	echo "taken, kept for downstream 5.10 kernels until it does:"
	for c in "${carries[@]}"; do echo "  $c"; done
} >"$out/README"
cat "$out/README" | sed -n '/^written\|^skipped\|^stopped/p' >&2
log "mails in ${out#$TOP/}/ (README there); nothing was sent"
exit $rc
