# SPDX-License-Identifier: GPL-2.0-or-later
# Build libkmod from Debian 13's (trixie) kmod 34 source, with the xz, zstd and zlib
# decoders it needs for compressed modules, into one relocatable musl object.
#
# Users of libkmod:
#   build/x.o: x.c | $(KMOD_HDR)          compile with $(KMOD_CFLAGS)
#   build/prog: ... $(KMOD_OBJ)           link it like any other object
# Only the public kmod_* API stays global in $(KMOD_OBJ); libkmod's internal helpers
# (hash_*, strbuf_*, array_*, ...) and the decoders' functions (lzma_*, ZSTD_*, gz*,
# inflate*) are made local so they cannot clash with ours.
# The sources are Debian trixie's source packages kmod, xz-utils, libzstd and zlib,
# fetched with apt at build time (scripts/fetch-source.sh) and never committed.
#
# kmod >= 31 hands a compressed module to finit_module(MODULE_INIT_COMPRESSED_FILE) when
# /sys/module/compression names the module's format (the kernel decompresses); otherwise
# (another format, or a kernel without in-kernel decompression) it decompresses in
# userspace with these decoders and calls init_module() with the ELF image.

SRC_DIR     ?= $(B)/src
SRC_STAMP   := $(SRC_DIR)/.fetched-trixie
SRC_PKGS    := kmod=34 xz-utils=5.8 libzstd=1.5 zlib=1.3
KMOD_SRC    := $(SRC_DIR)/kmod
XZ_SRC      := $(SRC_DIR)/xz-utils/src
ZSTD_SRC    := $(SRC_DIR)/libzstd/lib
ZLIB_SRC    := $(SRC_DIR)/zlib
KMOD_DIR    := $(B)/kmod
KMOD_OBJ    := $(KMOD_DIR)/libkmod.o
KMOD_HDR    := $(KMOD_DIR)/include/libkmod.h
# hook/modules.c: which compressed formats this libkmod decompresses itself.
KMOD_CFLAGS := -I$(KMOD_DIR)/include -DMODULES_DECOMPRESS_XZ=1 -DMODULES_DECOMPRESS_ZSTD=1 \
	-DMODULES_DECOMPRESS_GZIP=1

KMOD_DEPS_PKGS := dpkg-dev musl-tools binutils xz-utils gpgv
DEPS_PKGS      += $(KMOD_DEPS_PKGS)

LD      ?= ld
OBJCOPY ?= objcopy

# libkmod's and libshared's files in kmod 34's meson.build; libkmod-file.c is built
# apart, once per decoder selection (see KMOD_VARIANTS).
KMOD_LIB_SRCS := \
	libkmod/libkmod.c libkmod/libkmod-builtin.c libkmod/libkmod-list.c \
	libkmod/libkmod-config.c libkmod/libkmod-index.c libkmod/libkmod-module.c \
	libkmod/libkmod-elf.c libkmod/libkmod-signature.c \
	shared/array.c shared/hash.c shared/strbuf.c shared/util.c

# The decoders: what libkmod-file-xz.c (lzma_stream_decoder, lzma_code, lzma_end),
# -zstd.c (ZSTD_decompress, ZSTD_getFrameContentSize, ZSTD_isError, ZSTD_getErrorName)
# and -zlib.c (gzdopen, gzread, gzerror, gzclose) call, and nothing else.
#   liblzma: the .xz stream decoder with LZMA1/LZMA2 only (no BCJ or delta filters: the
#     kernel compresses modules with plain LZMA2), CRC32 and CRC64 checks (SHA-256
#     checks are skipped, not verified), the small CRC code.
XZ_LIB_SRCS := \
	common/common.c common/block_util.c common/block_decoder.c \
	common/block_header_decoder.c common/filter_common.c common/filter_decoder.c \
	common/filter_flags_decoder.c common/index_hash.c common/stream_decoder.c \
	common/stream_flags_common.c common/stream_flags_decoder.c common/vli_decoder.c \
	common/vli_size.c check/check.c check/crc32_small.c check/crc64_small.c \
	lz/lz_decoder.c lzma/lzma_decoder.c lzma/lzma2_decoder.c
#   libzstd: the decompressor alone, no legacy formats, no error strings, no assembly.
ZSTD_LIB_SRCS := \
	common/entropy_common.c common/fse_decompress.c common/zstd_common.c \
	common/error_private.c common/xxhash.c decompress/zstd_decompress.c \
	decompress/zstd_decompress_block.c decompress/zstd_ddict.c decompress/huf_decompress.c
#   zlib: inflate and the gz* reading functions (NO_GZCOMPRESS: no deflate).
ZLIB_LIB_SRCS := inflate.c inftrees.c inffast.c adler32.c crc32.c zutil.c gzlib.c gzread.c \
	gzclose.c

KMOD_OBJS := $(patsubst %.c,$(KMOD_DIR)/obj/kmod/%.o,$(KMOD_LIB_SRCS))
XZ_OBJS   := $(patsubst %.c,$(KMOD_DIR)/obj/xz/%.o,$(XZ_LIB_SRCS)) \
	$(KMOD_DIR)/obj/kmod/libkmod/libkmod-file-xz.o
ZSTD_OBJS := $(patsubst %.c,$(KMOD_DIR)/obj/zstd/%.o,$(ZSTD_LIB_SRCS)) \
	$(KMOD_DIR)/obj/kmod/libkmod/libkmod-file-zstd.o
ZLIB_OBJS := $(patsubst %.c,$(KMOD_DIR)/obj/zlib/%.o,$(ZLIB_LIB_SRCS)) \
	$(KMOD_DIR)/obj/kmod/libkmod/libkmod-file-zlib.o
KMOD_CONFIG_H := $(KMOD_DIR)/config.h
XZ_CONFIG_H   := $(KMOD_DIR)/xz-config.h

# What kmod 34's meson.build finds for musl 1.2 on x86-64 with gcc 12: logging on, no
# OpenSSL (signatures are read, not verified), the three decoders linked in statically
# (no dlopen: the binary runs in an initramfs without shared libraries).  musl has no
# <linux/module.h> finit_module wrapper; missing.h then supplies it.  ENABLE_XZ, _ZSTD
# and _ZLIB can be overridden with -D for the size variants of make bench.
KMOD_DEFINES := \
	_GNU_SOURCE=1 \
	ENABLE_LOGGING=1 \
	ENABLE_DEBUG=0 \
	ENABLE_ELFDBG=0 \
	ENABLE_OPENSSL=0 \
	ENABLE_XZ_DLOPEN=0 \
	ENABLE_ZSTD_DLOPEN=0 \
	ENABLE_ZLIB_DLOPEN=0 \
	HAVE_SECURE_GETENV=1 \
	HAVE_STRUCT_STAT_ST_MTIM=1 \
	HAVE_DECL_BASENAME=1 \
	HAVE_DECL___XSTAT=0 \
	HAVE_STATIC_ASSERT=1 \
	HAVE_NORETURN=1 \
	HAVE___BUILTIN_CLZ=1 \
	HAVE___BUILTIN_TYPES_COMPATIBLE_P=1 \
	HAVE___BUILTIN_UADD_OVERFLOW=1 \
	HAVE___BUILTIN_UADDL_OVERFLOW=1 \
	HAVE___BUILTIN_UADDLL_OVERFLOW=1 \
	HAVE___BUILTIN_UMUL_OVERFLOW=1 \
	HAVE___BUILTIN_UMULL_OVERFLOW=1 \
	HAVE___BUILTIN_UMULLL_OVERFLOW=1 \
	SYSCONFDIR="/etc" \
	DISTCONFDIR="/usr/lib" \
	MODULE_DIRECTORY="/lib/modules"
KMOD_DECODER_DEFAULTS := ENABLE_XZ ENABLE_ZSTD ENABLE_ZLIB

# (H5, issue 12) musl 1.2.5 (Debian 13) no longer declares the GNU basename() in <string.h>,
# 1.2.3 (Debian 12) does: ask the compiler, as meson does; with 0, missing.h defines it.
KMOD_DECL_BASENAME := $(shell printf '\043define _GNU_SOURCE 1\n\043include <string.h>\nconst char *(*p)(const char *) = (void *)basename;\n' | \
	$(MUSL_CC) -Werror=implicit-function-declaration -x c -c -o /dev/null - >/dev/null 2>&1 && echo 1 || echo 0)
KMOD_DEFINES := $(patsubst HAVE_DECL_BASENAME=%,HAVE_DECL_BASENAME=$(KMOD_DECL_BASENAME),$(KMOD_DEFINES))

# liblzma's configure result for this decoder-only build.
XZ_DEFINES := \
	HAVE_STDBOOL_H=1 HAVE_STDINT_H=1 HAVE_INTTYPES_H=1 HAVE_LIMITS_H=1 HAVE_STRING_H=1 \
	HAVE_STDLIB_H=1 HAVE_VISIBILITY=1 SIZEOF_SIZE_T=8 HAVE_DECODERS=1 \
	HAVE_DECODER_LZMA1=1 HAVE_DECODER_LZMA2=1 HAVE_CHECK_CRC32=1 HAVE_CHECK_CRC64=1 \
	HAVE_SMALL=1 TUKLIB_SYMBOL_PREFIX=lzma_ ASSUME_RAM=128 _GNU_SOURCE=1

DECODER_CFLAGS := -std=gnu11 -Os -fPIE -fstack-protector-strong -ffunction-sections \
	-fdata-sections -fvisibility=hidden -fno-common -DNDEBUG -w
XZ_CFLAGS   := -include $(XZ_CONFIG_H) -I$(XZ_SRC)/liblzma/api -I$(XZ_SRC)/liblzma/common \
	-I$(XZ_SRC)/liblzma/check -I$(XZ_SRC)/liblzma/lz -I$(XZ_SRC)/liblzma/lzma \
	-I$(XZ_SRC)/liblzma/rangecoder -I$(XZ_SRC)/liblzma/delta -I$(XZ_SRC)/liblzma/simple \
	-I$(XZ_SRC)/common
ZSTD_CFLAGS := -DZSTD_LEGACY_SUPPORT=0 -DZSTD_DISABLE_ASM -DZSTD_STRIP_ERROR_STRINGS \
	-DHUF_FORCE_DECOMPRESS_X1 -DZSTD_FORCE_DECOMPRESS_SEQUENCES_SHORT -DZSTD_NO_TRACE \
	-DZSTD_NO_INLINE \
	-DZSTDLIB_VISIBLE= -DZSTDERRORLIB_VISIBLE= -DXXH_NAMESPACE=ZSTD_ \
	-I$(ZSTD_SRC) -I$(ZSTD_SRC)/common
ZLIB_CFLAGS := -DNO_GZCOMPRESS -DDYNAMIC_CRC_TABLE -D_LARGEFILE64_SOURCE=1 -DHAVE_HIDDEN -DHAVE_UNISTD_H \
	-DHAVE_STDARG_H -I$(ZLIB_SRC)

# kmod's own visibility setup (KMOD_EXPORT marks the API) plus our hardening; the object
# goes into a -static-pie binary, so it is position independent.
KMOD_BUILD_CFLAGS := -std=gnu11 -Os -fPIE -fstack-protector-strong \
	-ffunction-sections -fdata-sections -fvisibility=hidden -fno-common \
	-Wall -Wno-unused-parameter \
	-include $(KMOD_CONFIG_H) -I$(KMOD_SRC) -I$(XZ_SRC)/liblzma/api -I$(ZSTD_SRC) -I$(ZLIB_SRC)

# Decoder selections: libkmod-file.c and the combined object per selection.  "all" is
# $(KMOD_OBJ); make bench links the others to show what each decoder adds.
KMOD_VARIANTS := all noxz nozstd nozlib none
kmod_variant_defs = $(if $(filter noxz none,$(1)),-DENABLE_XZ=0) \
	$(if $(filter nozstd none,$(1)),-DENABLE_ZSTD=0) \
	$(if $(filter nozlib none,$(1)),-DENABLE_ZLIB=0)
kmod_variant_objs = $(if $(filter noxz none,$(1)),,$(XZ_OBJS)) \
	$(if $(filter nozstd none,$(1)),,$(ZSTD_OBJS)) \
	$(if $(filter nozlib none,$(1)),,$(ZLIB_OBJS))

.PHONY: kmod kmod-smoke
kmod: $(KMOD_OBJ) $(KMOD_HDR)

$(SRC_STAMP):
	@scripts/ensure-deps.sh $(KMOD_DEPS_PKGS)
	scripts/fetch-source.sh trixie $(SRC_DIR) $(SRC_PKGS)
	@touch $@

# The fetch brings every source file at once.
$(addprefix $(KMOD_SRC)/,$(KMOD_LIB_SRCS) libkmod/libkmod.h libkmod/libkmod-file.c \
	libkmod/libkmod-file-xz.c libkmod/libkmod-file-zstd.c libkmod/libkmod-file-zlib.c) \
	$(addprefix $(XZ_SRC)/liblzma/,$(XZ_LIB_SRCS)) \
	$(addprefix $(ZSTD_SRC)/,$(ZSTD_LIB_SRCS)) \
	$(addprefix $(ZLIB_SRC)/,$(ZLIB_LIB_SRCS)): $(SRC_STAMP) ;

$(KMOD_HDR): $(KMOD_SRC)/libkmod/libkmod.h
	@mkdir -p $(@D)
	cp $< $@

$(KMOD_CONFIG_H): mk/kmod.mk
	@mkdir -p $(@D)
	@{ echo '/* Generated by mk/kmod.mk: libkmod configuration for musl. */'; \
	  $(foreach d,$(KMOD_DEFINES),echo '#define $(subst =, ,$(d))';) \
	  $(foreach d,$(KMOD_DECODER_DEFAULTS),printf '#ifndef %s\n#define %s 1\n#endif\n' $(d) $(d);) \
	} >$@.tmp
	@mv $@.tmp $@

$(XZ_CONFIG_H): mk/kmod.mk
	@mkdir -p $(@D)
	@{ echo '/* Generated by mk/kmod.mk: liblzma decoder configuration for musl. */'; \
	  $(foreach d,$(XZ_DEFINES),echo '#define $(subst =, ,$(d))';) } >$@.tmp
	@mv $@.tmp $@

$(KMOD_OBJS) $(KMOD_DIR)/obj/kmod/libkmod/libkmod-file-xz.o \
$(KMOD_DIR)/obj/kmod/libkmod/libkmod-file-zstd.o \
$(KMOD_DIR)/obj/kmod/libkmod/libkmod-file-zlib.o: \
$(KMOD_DIR)/obj/kmod/%.o: $(KMOD_SRC)/%.c $(KMOD_CONFIG_H)
	@mkdir -p $(@D)
	$(MUSL_CC) $(KMOD_BUILD_CFLAGS) -c $< -o $@

$(foreach v,$(KMOD_VARIANTS),$(KMOD_DIR)/obj/file-$(v).o): \
$(KMOD_DIR)/obj/file-%.o: $(KMOD_SRC)/libkmod/libkmod-file.c $(KMOD_CONFIG_H)
	@mkdir -p $(@D)
	$(MUSL_CC) $(KMOD_BUILD_CFLAGS) $(call kmod_variant_defs,$*) -c $< -o $@

$(KMOD_DIR)/obj/xz/%.o: $(XZ_SRC)/liblzma/%.c $(XZ_CONFIG_H)
	@mkdir -p $(@D)
	$(MUSL_CC) $(DECODER_CFLAGS) $(XZ_CFLAGS) -c $< -o $@

$(KMOD_DIR)/obj/zstd/%.o: $(ZSTD_SRC)/%.c $(SRC_STAMP) mk/kmod.mk
	@mkdir -p $(@D)
	$(MUSL_CC) $(DECODER_CFLAGS) $(ZSTD_CFLAGS) -c $< -o $@

$(KMOD_DIR)/obj/zlib/%.o: $(ZLIB_SRC)/%.c $(SRC_STAMP) mk/kmod.mk
	@mkdir -p $(@D)
	$(MUSL_CC) $(DECODER_CFLAGS) $(ZLIB_CFLAGS) -c $< -o $@

# One object per selection; every defined symbol but the kmod_* API becomes local.
define kmod_variant_rule
$(KMOD_DIR)/libkmod-$(1).o: $(KMOD_OBJS) $(KMOD_DIR)/obj/file-$(1).o $(call kmod_variant_objs,$(1))
	$$(LD) -r -o $$@.tmp $$^
	$$(OBJCOPY) --wildcard --keep-global-symbol='kmod_*' $$@.tmp $$@
	@rm -f $$@.tmp
endef
$(foreach v,$(KMOD_VARIANTS),$(eval $(call kmod_variant_rule,$(v))))

$(KMOD_OBJ): $(KMOD_DIR)/libkmod-all.o
	cp $< $@

# kmod 34's depmod from the same sources and decoders, for the tests' module trees: Debian
# 12's depmod (kmod 30, no zlib) skips .ko.gz files.  Tests only: it is never installed.
KMOD_DEPMOD := $(KMOD_DIR)/tools/depmod
KMOD_TOOL_SRCS := depmod insmod kmod log lsmod modinfo modprobe opt rmmod static-nodes
KMOD_TOOL_OBJS := $(patsubst %,$(KMOD_DIR)/obj/tools/%.o,$(KMOD_TOOL_SRCS))

$(addprefix $(KMOD_SRC)/tools/,$(addsuffix .c,$(KMOD_TOOL_SRCS))): $(SRC_STAMP) ;

$(KMOD_TOOL_OBJS): $(KMOD_DIR)/obj/tools/%.o: $(KMOD_SRC)/tools/%.c $(KMOD_CONFIG_H)
	@mkdir -p $(@D)
	$(MUSL_CC) $(KMOD_BUILD_CFLAGS) -I$(KMOD_SRC)/tools -DPACKAGE='"kmod"' -DVERSION='"34"' \
		-DKMOD_FEATURES='"+ZSTD +XZ +ZLIB -OPENSSL"' -c $< -o $@

# The tools use libkmod's internals: link the objects themselves, not $(KMOD_OBJ).
$(KMOD_DEPMOD): $(KMOD_TOOL_OBJS) $(KMOD_OBJS) $(KMOD_DIR)/obj/file-all.o \
		$(call kmod_variant_objs,all)
	@mkdir -p $(@D)
	$(MUSL_CC) -static-pie -Wl,--gc-sections -o $@ $^

# Smoke test, not part of `make check`: resolve modaliases against a real module tree,
#   build/kmod-smoke /lib/modules/VERSION ALIAS...
# The initramfs has no musl loader, so a program interpreter means a broken static link.
$(B)/kmod-smoke: tests/kmod-smoke.c $(KMOD_OBJ) | $(KMOD_HDR)
	$(MUSL_CC) $(STATIC_CFLAGS) $(CFLAGS) $(KMOD_CFLAGS) $(STATIC_LDFLAGS) \
		-o $@.tmp $< $(KMOD_OBJ)
	@if readelf -l $@.tmp | grep -q INTERP; then \
		echo "kmod-smoke: $(MUSL_CC) linked $@ dynamically (program interpreter set)" >&2; \
		rm -f $@.tmp; exit 1; fi
	@mv $@.tmp $@

kmod-smoke: $(B)/kmod-smoke
