# SPDX-License-Identifier: GPL-2.0-or-later
# lib/: the C shared by the program, the generator and the tests, built once per toolchain
# flavour into a static archive that each of them links. A new lib/*.c file needs no edit here.
#
#   $(LIB_STATIC)    $(B)/static/libgpuvfio.a     musl, hardened: the program and the generator
#                                                 (in build-arm64/ for ARCH=arm64)
#   $(LIB_UNIT)      $(B)/unit/libgpuvfio.a       host compiler with the sanitizers: unit tests
#   $(LIB_FUZZ)      $(B)/fuzz/libgpuvfio.a       clang with libFuzzer's instrumentation
#   $(LIB_VALGRIND)  $(B)/valgrind/libgpuvfio.a   host compiler and glibc: check-valgrind
#
# Included before the other fragments (see Makefile): they name the archives in prerequisites.
# The compilers' flags are the other fragments' and are expanded when a recipe runs.

LIB_SRCS := $(sort $(wildcard lib/*.c))
LIB_HDRS := $(wildcard lib/*.h)

LIB_STATIC   := $(B)/static/libgpuvfio.a
LIB_UNIT     := $(B)/unit/libgpuvfio.a
LIB_FUZZ     := $(B)/fuzz/libgpuvfio.a
LIB_VALGRIND := $(B)/valgrind/libgpuvfio.a

# $(call LIB_FLAVOUR,ARCHIVE,COMPILE COMMAND,PACKAGES): the objects in lib/ beside ARCHIVE
# and the archive; PACKAGES are installed first when missing.
define LIB_FLAVOUR
$(dir $(1))lib/%.o: lib/%.c $(LIB_HDRS) mk/lib.mk
	@$(if $(3),scripts/ensure-deps.sh $(3))
	@mkdir -p $$(@D)
	$(2) -c $$< -o $$@

$(1): $(patsubst lib/%.c,$(dir $(1))lib/%.o,$(LIB_SRCS))
	@rm -f $$@
	$(AR) rcs $$@ $$^
endef

$(eval $(call LIB_FLAVOUR,$(LIB_STATIC),$$(MUSL_CC) $$(CFLAGS) $$(STATIC_CFLAGS)))
$(eval $(call LIB_FLAVOUR,$(LIB_UNIT),$$(HOST_CC) $$(UNIT_CFLAGS),$$(UNIT_PKGS)))
$(eval $(call LIB_FLAVOUR,$(LIB_FUZZ),$$(FUZZ_CC) $$(FUZZ_CFLAGS),$$(FUZZ_PKGS)))
LIB_VALGRIND_CC = $(HOST_CC) -std=gnu11 -g -O1 $(WARN) -Ilib
$(eval $(call LIB_FLAVOUR,$(LIB_VALGRIND),$$(LIB_VALGRIND_CC),$$(VALGRIND_PKGS)))
