#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: time and profile gpu-vfio plan against the syscall floor and the shell loop.
#
# Usage: run.sh BUILD_DIR ROOT
#
# BUILD_DIR holds gpu-vfio, gpu-vfio.unstripped, gpu-vfio-generator (optional) and
# bench/{floor,runtime}; ROOT is the synthetic machine (bench/mkmachine.sh + mkroot.sh).
# Knobs: BENCH_ROUNDS (15) interleaved rounds of floor, shell and plan; BENCH_GEN_RUNS (200)
# generator runs; BENCH_GEN_ROOT (tests/generator/03-ubuntu-cloudimg-override) the
# generator's root. Figures are printed, never asserted: the exit status is 0 unless a
# tool fails to run.
set -eu

b=$1
root=$2
out=$b/bench
rounds=${BENCH_ROUNDS:-15}
gen_runs=${BENCH_GEN_RUNS:-200}
gen_root=${BENCH_GEN_ROOT:-tests/generator/03-ubuntu-cloudimg-override}
gpu_vfio=$b/gpu-vfio
policy=$out/bench.conf
mkdir -p "$out"
printf '%s\n' '# make bench: every NVIDIA function to VMs.' 'claim vendor=10de' >"$policy"

ndev=$(find "$root/sys/bus/pci/devices" -mindepth 1 -maxdepth 1 | wc -l)
met() {
	if awk -v v="$1" -v t="$2" 'BEGIN { exit !(v <= t) }'; then
		echo "met"
	else
		echo "NOT MET"
	fi
}
ms() {
	awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e6 }'
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'
}
line() {
	printf '  %-44s %16s   %s\n' "$1" "$2" "${3:-}"
}

echo "== gpu-vfio bench: $ndev PCI functions in $root =="
echo

# Warm the dentry and page caches (dropping them is not possible here): walk the tree,
# then one untimed run of each command (runtime's warm-up round).
find "$root/sys" "$root/lib" "$root/etc" >/dev/null 2>&1 || true

echo "-- wall time, $rounds interleaved rounds (floor, shell, plan), medians --"
"$out/runtime" "$rounds" 1 \
	:floor "$out/floor" "$root" \
	:shell dash bench/shell-override.sh "$root" "$out/shell-scratch" \
	:plan "$gpu_vfio" --root "$root" --policy "$policy" plan --json \
	>"$out/times"
floor_ns=$(awk '$1 == "floor" { print $2 }' "$out/times")
shell_ns=$(awk '$1 == "shell" { print $2 }' "$out/times")
plan_ns=$(awk '$1 == "plan" { print $2 }' "$out/times")
awk '{ printf "  %-8s median %10.2f ms   min %10.2f ms   max %10.2f ms   exit %d\n",
	$1, $2 / 1e6, $3 / 1e6, $4 / 1e6, $5 }' "$out/times"
claimed=$(wc -l <"$out/shell-scratch")
plan_claims=$("$gpu_vfio" --root "$root" --policy "$policy" plan --json |
	grep -c '"action": *"claim"' || true)
echo "  (shell loop overrode $claimed functions; plan claims $plan_claims)"
r_floor=$(ratio "$plan_ns" "$floor_ns")
r_shell=$(ratio "$plan_ns" "$shell_ns")
echo

echo "-- callgrind instruction counts (Ir) --"
valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.plan" \
	"$b/gpu-vfio.unstripped" --root "$root" --policy "$policy" plan --json \
	>/dev/null 2>"$out/callgrind.plan.log"
valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.floor" \
	"$out/floor" "$root" >/dev/null 2>"$out/callgrind.floor.log"
ir() {
	awk '/^(summary|totals):/ { print $2; exit }' "$1"
}
ir_plan=$(ir "$out/callgrind.plan")
ir_floor=$(ir "$out/callgrind.floor")
printf '  plan   %14s Ir\n  floor  %14s Ir\n  plan/floor %10s\n' "$ir_plan" "$ir_floor" \
	"$(ratio "$ir_plan" "$ir_floor")"
callgrind_annotate --inclusive=no "$out/callgrind.plan" >"$out/plan.annotate" 2>/dev/null
callgrind_annotate --inclusive=yes "$out/callgrind.plan" >"$out/plan.annotate-inclusive" \
	2>/dev/null
# Entries look like "45,969,474 (16.90%)  hook/plan.c:plan_build [/path/binary]".
top() {
	awk -v filter="$2" '/^ *[0-9,]+ +\( *[0-9.]+%\) +/ && !/PROGRAM TOTALS/ && $0 ~ filter {
		sub(/ \[[^]]*\]$/, ""); print "    " $0 }' "$1" | head -n "$3"
}
echo "  top self costs of plan ($out/plan.annotate):"
top "$out/plan.annotate" "" 12
echo "  top inclusive costs of gpu-vfio's own functions ($out/plan.annotate-inclusive):"
top "$out/plan.annotate-inclusive" " (hook|lib)/[a-z]+[.]c:[a-z_]+ \\[" 14
echo

echo "-- peak RSS --"
rss=$(/usr/bin/time -f %M "$gpu_vfio" --root "$root" --policy "$policy" plan --json \
	2>&1 >/dev/null | tail -n 1)
echo "  plan on $ndev functions: $rss KiB"
echo

echo "-- stripped static binaries --"
size_of() {
	[ -f "$1" ] || return 1
	strip -o "$out/${1##*/}.stripped" "$1"
	stat -c %s "$out/${1##*/}.stripped"
}
gv_size=$(size_of "$gpu_vfio")
echo "  gpu-vfio            $gv_size bytes ($((gv_size / 1024)) KiB)"
# The module decoders in gpu-vfio: the same objects linked with libkmod built without one
# decoder (mk/bench.mk, build/bench/gpu-vfio-noxz, ...), stripped, after --gc-sections.
if [ -f "$out/gpu-vfio-none" ]; then
	none=$(size_of "$out/gpu-vfio-none")
	echo "  gpu-vfio without decoders  $none bytes ($((none / 1024)) KiB)"
	for d in xz:noxz zstd:nozstd zlib:nozlib; do
		v=$(size_of "$out/gpu-vfio-${d#*:}")
		echo "  ${d%%:*} decoder adds         $((gv_size - v)) bytes ($(((gv_size - v) / 1024)) KiB)" \
			"(gpu-vfio-${d#*:}: $v bytes)"
	done
	echo "  all three decoders add     $((gv_size - none)) bytes ($(((gv_size - none) / 1024)) KiB)"
fi
gen_size=
if gen_size=$(size_of "$b/gpu-vfio-generator"); then
	echo "  gpu-vfio-generator  $gen_size bytes ($((gen_size / 1024)) KiB)"
else
	echo "  gpu-vfio-generator  not built"
fi
echo

gen_ns=
if [ -n "$gen_size" ]; then
	echo "-- generator, $gen_runs runs on $gen_root and on the bench root, medians --"
	gen_out=$out/generator-out
	rm -rf "$gen_out"
	mkdir -p "$gen_out/realistic" "$gen_out/bench"
	GPU_VFIO_ROOT=$gen_root "$out/runtime" "$gen_runs" 5 \
		:realistic "$b/gpu-vfio-generator" "$gen_out/realistic" "$gen_out/realistic" \
		"$gen_out/realistic" >"$out/gen-times"
	GPU_VFIO_ROOT=$root "$out/runtime" "$gen_runs" 5 \
		:bench "$b/gpu-vfio-generator" "$gen_out/bench" "$gen_out/bench" "$gen_out/bench" \
		>>"$out/gen-times"
	awk '{ printf "  %-10s median %8.3f ms   min %8.3f ms   max %8.3f ms   exit %d\n",
		$1, $2 / 1e6, $3 / 1e6, $4 / 1e6, $5 }' "$out/gen-times"
	gen_ns=$(awk '$1 == "realistic" { print $2 }' "$out/gen-times")
	echo
fi

echo "== summary =="
printf '  %-44s %16s   %s\n' "figure" "value" "target"
line "devices" "$ndev"
line "floor median (ms)" "$(ms "$floor_ns")"
line "shell loop median (ms)" "$(ms "$shell_ns")"
line "plan median (ms)" "$(ms "$plan_ns")"
line "plan/floor (wall)" "$r_floor" "<= 2.0: $(met "$r_floor" 2.0)"
line "plan/shell (wall)" "$r_shell" "<= 0.1: $(met "$r_shell" 0.1)"
line "plan/floor (instructions)" "$(ratio "$ir_plan" "$ir_floor")"
line "plan peak RSS (KiB)" "$rss"
line "gpu-vfio stripped (KiB)" "$((gv_size / 1024))" \
	"<= 400 KiB: $(met "$gv_size" 409600)"
if [ -n "$gen_size" ]; then
	line "gpu-vfio-generator stripped (KiB)" "$((gen_size / 1024))" \
		"<= 300 KiB: $(met "$gen_size" 307200)"
	line "generator median, realistic root (ms)" "$(ms "$gen_ns")" \
		"< 5 ms: $(met "$gen_ns" 4999999)"
fi
