# The front door. 'make demo' shows the before/after matrix on mainline;
# 'make check' is everything CI runs, on both bases.
SHELL := /bin/bash
BASE ?= mainline
BASES := mainline 5.10
S := scripts
export STAGE_LOG := $(CURDIR)/results$(if $(KASAN),-kasan)/stages.log

.PHONY: help deps bases demo check static matrix checkpatch roundtrip mirror \
	debian-delta compile same-code tooling apply export retest reset-tree stages clean bench \
	send send-check cover-letter

help:
	@echo "make demo        build mainline unpatched+patched, run the selftests, print the matrix"
	@echo "make check       every static check and the whole matrix, on both bases (CI)"
	@echo "make static      checkpatch, round trip, selftests mirror, Debian delta"
	@echo "make matrix      the before/after matrix only (BASES=\"$(BASES)\")"
	@echo "make compile     bisectability and W=1/sparse checks of touched files"
	@echo "make same-code   the patches of scripts/same-code-patches.txt change no object code"
	@echo "make tooling     bad input to the project's scripts gives clear errors"
	@echo "make apply [BASE=..]  apply patches/<base> to a fresh worktree of the base"
	@echo "make export      re-export patches/ and selftests/ from the patched trees"
	@echo "make retest T=target [BASE=..]  rebuild one selftest from the patched tree, run it"
	@echo "make bench       blkio.reset_stats cost before/after the iostat cleanup (after make demo)"
	@echo "make send [UPSTREAM=/path/to/linux] [POSTINGS=..]  write the mails of each posting to results/outgoing/ (sends nothing)"
	@echo "make send-check  what CI asserts of 'make send' (throwaway identity, scratch dir)"
	@echo "make cover-letter  write the last run's overview (patches, matrix) into cover-letter.txt"
	@echo "KASAN=1 make ...  the same with KASAN kernels (own object and results dirs)"

deps:
	@$(S)/deps.sh

bases: deps
	@$(S)/fetch-bases.sh $(BASES)

demo: bases
	@mkdir -p $(dir $(STAGE_LOG)); rm -f $(STAGE_LOG)
	@export STAGE_LAST=$${KSERIES_CACHE:-$$HOME/.cache/kseries}/stages-demo$(if $(KASAN),-kasan).last; \
	$(S)/matrix.sh $(BASE); rc=$$?; $(S)/print-stages.sh; \
	[ $$rc != 0 ] || cp $(STAGE_LOG) $$STAGE_LAST; exit $$rc

check:
	@$(S)/check-all.sh

static: bases
	@$(S)/lib-stage.sh "checkpatch" $(S)/checkpatch.sh
	@for b in $(BASES); do $(S)/lib-stage.sh "round trip $$b" $(S)/check-roundtrip.sh $$b || exit 1; done
	@$(S)/lib-stage.sh "selftests mirror" $(S)/check-selftests-mirror.sh $(BASES)
	@$(S)/lib-stage.sh "Debian delta" $(S)/check-debian-delta.sh
	@$(S)/lib-stage.sh "README matrix" $(S)/check-readme-matrix.sh

tooling:
	@$(S)/test-tooling.sh

matrix: bases
	@$(S)/matrix.sh $(BASES)

checkpatch: ; @$(S)/checkpatch.sh
roundtrip: ; @for b in $(BASES); do $(S)/check-roundtrip.sh $$b || exit 1; done
mirror: ; @$(S)/check-selftests-mirror.sh $(BASES)
debian-delta: ; @$(S)/check-debian-delta.sh
compile: ; @for b in $(BASES); do $(S)/check-build.sh $$b || exit 1; done
same-code: ; @for b in $(BASES); do $(S)/check-same-code.sh $$b || exit 1; done

apply:
	@$(S)/prepare-tree.sh $(BASE) patched && echo "applied patches/$(BASE) in $$($(S)/tree-path.sh $(BASE))"

export:
	@for b in $(BASES); do $(S)/export-series.sh $$b; done
	@$(S)/sync-selftests.sh

retest:
	@test -n "$(T)" || { echo "usage: make retest T=<target> [BASE=mainline|5.10]"; exit 2; }
	@$(S)/retest.sh $(BASE) $(T)

reset-tree:
	@$(S)/reset-tree.sh $(BASE)

stages: ; @$(S)/print-stages.sh
bench: ; @$(S)/bench-reset-stats.sh

# Writes mails only; git send-email sends them (see README, Submitting).
send: bases
	@$(S)/deps.sh send
	@UPSTREAM="$(UPSTREAM)" $(S)/send-prepare.sh $(POSTINGS)

send-check: bases
	@$(S)/lib-stage.sh "make send (mails, recipients)" $(S)/check-send.sh

cover-letter: ; @$(S)/cover-overview.sh --update

clean:
	rm -rf results results-kasan
