#!/bin/bash
# Configure and build the VM kernel of one (base, variant) out of tree, with
# ccache: tinyconfig + scripts/vm/vm.config (+ kasan.config with KASAN=1)
# + every selftests/*/config + scripts/vm/checks[.BASE].config.
# Usage: build-kernel.sh BASE unpatched|patched
. "$(dirname "$0")/lib.sh"
base=$1 variant=$2
need make gcc ccache flex bison bc
# Both variants build from one worktree, checked out at the tag or at the
# patched tree's HEAD, into separate object dirs: identical paths let ccache
# share every unchanged object, and mtimes make each object dir rebuild
# exactly the files that differ.
# The unpatched kernel is the tag itself: no worktree of its own.
if [ "$variant" = patched ]; then
	"$TOP/scripts/prepare-tree.sh" "$base" patched
	commit=$(git -C "$(tree_dir "$base" patched)" rev-parse HEAD)
else
	[ "$variant" = unpatched ] || die "unknown variant '$variant' (unpatched|patched)"
	git -C "$(base_repo "$base")" rev-parse -q --verify "refs/tags/$(base_tag "$base")" >/dev/null ||
		"$TOP/scripts/fetch-bases.sh" "$base"
	commit=$(git -C "$(base_repo "$base")" rev-parse "$(base_tag "$base")^{commit}")
fi
obj=$(build_dir "$base" "$variant")/kernel
# Nothing to do when this object dir's bzImage was built from this commit
# with these fragments and this compiler: not even a checkout (a warm
# 'make check' would otherwise check out and relink both variants).
built="$commit $(vm_fragments "$base" | xargs cat | sha256sum | cut -c1-16) $(gcc -dumpfullversion) ${KBUILD_FLAGS[*]}"
if [ -f "$obj/arch/x86/boot/bzImage" ] && [ "$(cat "$obj/.build.stamp" 2>/dev/null)" = "$built" ]; then
	log "$base/$variant kernel is up to date (${commit:0:12})"
	exit 0
fi
# The commit this object dir holds a finished build of, if any.
prev=$(cut -d' ' -f1 "$obj/.build.stamp" 2>/dev/null || true)
rm -f "$obj/.build.stamp"
src=$(tree_dir "$base" build)
if [ ! -d "$src" ]; then
	git -C "$(base_repo "$base")" worktree add -q --detach "$src" "$commit" || die "cannot create $src"
fi
if [ "$(git -C "$src" rev-parse HEAD)" != "$commit" ] || [ -n "$(git -C "$src" status --porcelain --untracked-files=no)" ]; then
	git -C "$src" checkout -q -f --detach "$commit" || die "cannot check out $commit in $src"
fi
# A variant's first build starts from the other variant's finished object
# dir: the checkout above gave the files that differ new mtimes, so make
# recompiles only those and what depends on them (ccache still hashes every
# object of a fresh dir, minutes on 2 cores).
other=$(build_dir "$base" "$([ "$variant" = patched ] && echo unpatched || echo patched)")/kernel
if [ ! -f "$obj/.config" ] && [ -f "$other/.build.stamp" ] && [ -f "$other/arch/x86/boot/bzImage" ]; then
	log "seeding $base/$variant from the finished $(basename "$(dirname "$other")") object dir"
	rm -rf "$obj"; mkdir -p "$(dirname "$obj")"
	cp -a "$other" "$obj" || die "cannot copy $other to $obj"
	prev=$(cut -d' ' -f1 "$obj/.build.stamp")
	rm -f "$obj/.build.stamp"
fi
mkdir -p "$obj"
kbuild_env "$src"
KMAKE=(make -s -C "$src" O="$obj" CC="$KCC" HOSTCC="ccache gcc" -j"${JOBS:-3}" "${KBUILD_FLAGS[@]}")

mapfile -t frags < <(vm_fragments "$base")
configure_kernel "$src" "$obj" "$base/$variant" "${frags[@]}"

# scripts/vm/neutral-headers.txt: a header change pinned there (the
# header's blobs at the base and with the series) cannot alter an object
# that does not name its token.  When this dir's last finished build and
# the commit being built both have one of the two pinned versions, the
# header gets an old mtime, so make rebuilds only what else differs, and
# every other file that names the token is touched so that it (and what
# includes it) is rebuilt.  The
# worktree is shared by every object dir of the base: an old mtime left by
# an earlier run is undone first, so any other dir rebuilds as usual.
neutral_state=$(git -C "$src" rev-parse --git-path kseries-neutral-headers)
case $neutral_state in /*) ;; *) neutral_state=$src/$neutral_state ;; esac
if [ -f "$neutral_state" ]; then
	while read -r h; do
		[ "$(stat -c %Y "$src/$h" 2>/dev/null)" != 946684800 ] || touch "$src/$h"
	done <"$neutral_state"
	rm -f "$neutral_state"
fi
# Object code that records types or header contents would differ.
if grep -qE '^CONFIG_(DEBUG_INFO_(DWARF[0-9A-Z_]*|BTF)|MODVERSIONS|IKHEADERS)=y' "$obj/.config"; then
	prev=
fi
if [ -n "$prev" ] && [ "$prev" != "$commit" ] && [ "${KSERIES_NEUTRAL:-1}" != 0 ]; then
	while IFS=$'\t' read -r hb h old new token why; do
		case $hb in ''|'#'*) continue ;; esac
		[ -n "$why" ] || die "scripts/vm/neutral-headers.txt: '$hb $h': want base, path, two blob ids, token and reason, tab-separated"
		[ "$hb" = "$base" ] || continue
		a=$(git -C "$src" rev-parse -q --verify "$prev:$h" 2>/dev/null || true)
		b=$(git -C "$src" rev-parse -q --verify "$commit:$h" 2>/dev/null || true)
		case " $old $new " in *" $a "*) ;; *) continue ;; esac
		case " $old $new " in *" $b "*) ;; *) continue ;; esac
		log "$h: the series' pinned change (scripts/vm/neutral-headers.txt): only the files naming $token are rebuilt on its account"
		touch -d @946684800 "$src/$h"
		echo "$h" >>"$neutral_state"
		{ git -C "$src" grep -lw -e "$token" -- '*.c' '*.h' ":!$h" || true; } | (cd "$src" && xargs -r touch)
	done <"$TOP/scripts/vm/neutral-headers.txt"
fi

log "building $base/$variant kernel"
"${KMAKE[@]}" bzImage >"$obj/build.log" 2>&1 || { tail -30 "$obj/build.log" >&2; die "kernel build failed for $base/$variant (log: $obj/build.log)"; }
# Every series changes kernel code: the same bzImage as the other variant's
# means a stale object (a cache hit that should have been a miss).
if [ -f "$other/arch/x86/boot/bzImage" ] && cmp -s "$other/arch/x86/boot/bzImage" "$obj/arch/x86/boot/bzImage"; then
	die "$base/$variant bzImage is identical to the $(basename "$(dirname "$other")") one: stale objects in $obj"
fi
echo "$built" >"$obj/.build.stamp"
