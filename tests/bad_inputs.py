"""The bad-input catalogue: one row per bad input to a public entry point.

Each row names the entry point, the bad input, a call that makes it, the exception type
expected and a fragment the message must contain (the offending thing).
``tests/test_bad_inputs.py`` runs every row; ``docs/errors.md`` is generated from the
rows and the messages they actually produce::

    PYTHONPATH=pyside python3 tests/bad_inputs.py docs/errors.md

(a test fails when docs/errors.md is not what this command writes).
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sbml_documents import MALFORMED

import ssagrad
from ssagrad import NetworkBuilder, hill, models, parse, read_data, simulate
from ssagrad.cli import main as cli_main
from ssagrad.structure import learn

NET = parse("k, 0 --> A\ng, A --> 0")
P = {"k": 1.0, "g": 1.0}
T = [0.0, 1.0]


class CommandLineError(Exception):
    """``ssagrad ...`` exited with status 2; the message is what it printed on stderr."""


@dataclass(frozen=True)
class Case:
    entry: str
    bad: str
    call: Callable[[], object]
    error: type[BaseException]
    names: str


def cli(*argv: str) -> None:
    """Run the ``ssagrad`` command; raise :class:`CommandLineError` with its stderr."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = cli_main(list(argv))
        except SystemExit as exit_:
            code = exit_.code
    if code:
        lines = [line for line in stderr.getvalue().splitlines() if "error" in line]
        raise CommandLineError(lines[-1] if lines else stderr.getvalue().strip())


def data(n: int = 20) -> object:
    """A small observed data set (birth-death, two times)."""
    return simulate(NET, P, {"A": 1}, [0.0, 1.0, 2.0], n=n, seed=1)


def read_file(name: str, text: str) -> object:
    """``read_data`` of a file ``name`` holding ``text``, in a folder removed afterwards
    (messages name the file, not the folder)."""
    with tempfile.TemporaryDirectory(prefix="ssagrad-bad-") as folder:
        path = Path(folder) / name
        path.write_text(text)
        return read_data(path)


def with_limit(limit: str, call: Callable[[], object]) -> Callable[[], object]:
    """``call`` under a memory limit, restored afterwards."""

    def run() -> object:
        ssagrad.set_memory_limit(limit)
        try:
            return call()
        finally:
            ssagrad.set_memory_limit(None)

    return run


def sim(**kwargs) -> Callable[[], object]:
    base = dict(net=NET, params=P, x0={"A": 1}, times=T, n=2, seed=1)
    return lambda: simulate(**{**base, **kwargs})


def grad(**kwargs) -> Callable[[], object]:
    base = dict(net=NET, params=P, x0={"A": 1}, times=[1.0], n=10, seed=1)
    return lambda: ssagrad.gradient(**{**base, **kwargs})


def fit(**kwargs) -> Callable[[], object]:
    base = dict(net=NET, data=None, x0={"A": 1}, init=P, steps=2, n=10, seed=1, progress=False)

    def run():
        args = {**base, **kwargs}
        if args["data"] is None:
            args["data"] = data()
        return ssagrad.fit(**args)

    return run


def structure(**kwargs) -> Callable[[], object]:
    base = dict(species=["A"], x0={"A": 1}, steps=2, seed=1)

    def run():
        return learn(**{"data": data(), **base, **kwargs})

    return run


def sbml_file(text: str) -> str:
    """A file ``model.xml`` holding ``text`` in a fresh temporary folder; its path."""
    path = Path(tempfile.mkdtemp(prefix="ssagrad-bad-")) / "model.xml"
    path.write_text(text)
    return str(path)


def loss_of_mean(m):
    return float((m**2).sum())


V = ValueError
E = CommandLineError
LIMIT = ssagrad.MemoryLimitError

# fmt: off
CASES = [
    # parse
    Case("parse", "not a string", lambda: parse(42), TypeError, "str, got int"),
    Case("parse", "empty text", lambda: parse("  \n# only a comment\n"), V, "no reactions"),
    Case("parse", "one-dash arrow", lambda: parse("k, A -> B"), V, "line 1: expected an arrow"),
    Case("parse", "no rate", lambda: parse("A --> B"), V, "line 1: expected 'rate, reactants"),
    Case("parse", "two arrows", lambda: parse("k, A --> B --> C"), V, "more than one arrow"),
    Case("parse", "empty side", lambda: parse("k, A -->"), V, "empty reaction side"),
    Case("parse", "bad term", lambda: parse("k, A + 2 --> B"), V, "cannot read the term '2'"),
    Case("parse", "zero coefficient", lambda: parse("k, 0A --> B"), V, "coefficient of 'A'"),
    Case("parse", "bad character in a rate", lambda: parse("k$, A --> B"), V,
         "line 1: unexpected character '$'"),
    Case("parse", "dangling operator in a rate", lambda: parse("k +* 1, A --> B"), V,
         "line 1: unexpected '*'"),
    Case("parse", "unknown function in a rate", lambda: parse("sin(k), A --> B"), V,
         "unknown function 'sin'"),
    Case("parse", "the reserved name t as a species", lambda: parse("k, B --> C\nk, t --> 0"),
         V, "line 2: 't' is the time"),
    Case("parse", "Hill arity", lambda: parse("hill(A, v, K), A --> B"), V,
         "hill takes 4 arguments, got 3"),
    Case("parse", "reversible, one rate", lambda: parse("k, A <--> B"), V, "two rates '(kf, kb)'"),
    Case("parse", "unbalanced parenthesis", lambda: parse("k), A --> B"), V, "unbalanced ')'"),
    Case("parse", "error on line 3", lambda: parse("k, A --> B\n\nk2, B -> A"), V, "line 3:"),
    Case("parse", "name both species and parameter", lambda: parse("A, A --> B"), V, "['A']"),
    Case("parse", "second @species", lambda: parse("@species A\n@species B\nk, A --> B"), V,
         "line 2: a second @species"),
    Case("parse", "species missing from @species", lambda: parse("@species A\nk, A --> B"), V,
         "'B' missing from @species"),
    Case("parse", "no species", lambda: parse("k, 0 --> 0"), V, "at least one species"),
    # builder
    Case("NetworkBuilder", "invalid species name", lambda: NetworkBuilder().add("k", {"2A": 1}),
         V, "invalid species name '2A'"),
    Case("NetworkBuilder", "fractional coefficient", lambda: NetworkBuilder().add("k", {"A": 1.5}),
         TypeError, "coefficient of 'A'"),
    Case("NetworkBuilder", "negative rate literal", lambda: NetworkBuilder().add(-1.0, {"A": 1}),
         V, "non-negative, got -1.0"),
    Case("NetworkBuilder", "boolean rate", lambda: NetworkBuilder().add(True, {"A": 1}),
         TypeError, "got True"),
    Case("NetworkBuilder", "nothing added", lambda: NetworkBuilder().build(), V,
         "at least one reaction"),
    Case("NetworkBuilder", "Hill law on a bad name", lambda: hill("A B", "v", "K", 2), V,
         "invalid species name 'A B'"),
    # simulate
    Case("simulate", "missing parameter", sim(params={"k": 1.0}), V, "parameter(s) g"),
    Case("simulate", "unknown parameter", sim(params={**P, "h": 1.0}), V,
         "unknown parameter 'h'"),
    Case("simulate", "negative rate", sim(params={"k": -1.0, "g": 1.0}), V, "parameter 'k'"),
    Case("simulate", "NaN rate", sim(params={"k": float("nan"), "g": 1.0}), V, "parameter 'k'"),
    Case("simulate", "string rate", sim(params={"k": "1", "g": 1.0}), TypeError, "parameter 'k'"),
    Case("simulate", "too few values", sim(params=[1.0]), V, "expected 2 parameter values"),
    Case("simulate", "unknown species in x0", sim(x0={"B": 1}), V, "unknown species 'B'"),
    Case("simulate", "fractional count", sim(x0={"A": 2.5}), V, "initial count of 'A'"),
    Case("simulate", "x0 not a mapping", sim(x0=[1]), TypeError, "x0 must be a mapping"),
    Case("simulate", "decreasing times", sim(times=[0, 2, 1]), V, "times[2] = 1.0 follows 2.0"),
    Case("simulate", "negative time", sim(times=[-1, 1]), V, "non-negative, got -1.0"),
    Case("simulate", "no times", sim(times=[]), V, "times is empty"),
    Case("simulate", "infinite time", sim(times=[0, np.inf]), V, "times must be finite"),
    Case("simulate", "two-dimensional times", sim(times=[[0, 1]]), V, "one-dimensional"),
    Case("simulate", "zero samples", sim(n=0), V, "n must be at least 1, got 0"),
    Case("simulate", "fractional samples", sim(n=2.5), TypeError, "n must be an integer"),
    Case("simulate", "unknown method", sim(method="fast"), V, "unknown method 'fast'"),
    Case("simulate", "bad on_max_events", sim(on_max_events="ignore"), V, "'ignore'"),
    Case("simulate", "zero max_events", sim(max_events=0), V, "max_events must be at least 1"),
    Case("simulate", "negative tau step", sim(method="tau", dt=-0.1), V, "dt must be"),
    Case("simulate", "negative seed", sim(seed=-1), V, "seed"),
    Case("simulate", "network text instead of a network", lambda: simulate("k, 0 --> A", P),
         TypeError, "expected a Network or Model, got str"),
    Case("simulate", "runaway growth", sim(params={"k": 1e6, "g": 0.0}, max_events=1000),
         RuntimeError, "reached max_events=1000"),
    Case("simulate", "n = 10**12 (memory)", with_limit("16GB", sim(n=10**12)), LIMIT,
         "n=1000000000000 samples"),
    Case("simulate", "expression rate below 0 at the start",
         sim(net=parse("k - 2, 0 --> A"), params={"k": 1.0}, x0={"A": 0}), V,
         "reaction 1 (k - 2, 0 --> A): its rate law is -1"),
    Case("simulate", "time-dependent rate without rate_bound",
         sim(net=parse("k * t, 0 --> A"), params={"k": 1.0}, x0={"A": 0}), V,
         "pass rate_bound=B"),
    Case("simulate", "time-dependent rate beyond its rate_bound",
         sim(net=parse("k * t, 0 --> A"), params={"k": 1.0}, x0={"A": 0}, times=[5.0],
             rate_bound=1.0), RuntimeError, "exceeded rate_bound=1.0"),
    # exact
    Case("exact", "too many states", lambda: ssagrad.exact(NET, P, {"A": 1}, T, max_states=5),
         V, "more than max_states=5"),
    Case("exact", "non-integer max_states", lambda: ssagrad.exact(NET, P, None, T, max_states=1.5),
         TypeError, "max_states must be an integer"),
    Case("exact", "tolerance out of range", lambda: ssagrad.exact(NET, P, None, T, tol=2.0), V,
         "tol must be a number between 0 and 1"),
    Case("exact", "bound on an unknown species",
         lambda: ssagrad.exact(NET, P, None, T, bounds={"B": 3}), V, "'B'"),
    Case("exact", "no times for a network", lambda: ssagrad.exact(NET, P), V, "times is required"),
    Case("exact", "projection over the memory limit",
         with_limit("10kB", lambda: ssagrad.exact(models.telegraph(), times=np.arange(1.0, 50))),
         LIMIT, "exact: the result"),
    # gradient
    Case("gradient", "unknown estimator", grad(estimator="magic"), V, "unknown estimator 'magic'"),
    Case("gradient", "option of another estimator", grad(estimator="score", temperature=0.5), V,
         "temperature"),
    Case("gradient", "zero temperature", grad(estimator="gumbel", temperature=0.0), V,
         "temperature"),
    Case("gradient", "zero finite-difference step", grad(estimator="fd", h=0.0), V, "h must be"),
    Case("gradient", "zero smoothing directions", grad(estimator="smoothing", directions=0), V,
         "directions must be an integer >= 1, got 0"),
    Case("gradient", "smoothing at a zero rate",
         grad(estimator="smoothing", params={"k": 0.0, "g": 1.0}), V, "parameter 'k' is 0"),
    Case("gradient", "keep_samples not a bool", grad(keep_samples="no"), TypeError,
         "keep_samples must be True or False, got 'no'"),
    Case("gradient", "per-sample tangents over the memory limit",
         with_limit("16GB", grad(estimator="gumbel", n=10**8, times=np.arange(1.0, 101))),
         LIMIT, "per-sample tangents"),
    Case("gradient", "a rate law that reads the time",
         grad(net=parse("k * t, 0 --> A"), params={"k": 1.0}, x0={"A": 0}, estimator="score"),
         V, "estimator 'score' does not support rate laws that read the time t"),
    # value_and_grad
    Case("value_and_grad", "no loss",
         lambda: ssagrad.value_and_grad(NET, P, None, [1.0], n=10, seed=1), V, "loss is required"),
    Case("value_and_grad", "loss not callable",
         lambda: ssagrad.value_and_grad(NET, P, None, [1.0], loss=3, n=10, seed=1), TypeError,
         "got 3"),
    Case("value_and_grad", "black-box loss with score",
         lambda: ssagrad.value_and_grad(NET, P, None, [1.0], loss=np.mean, n=10, seed=1),
         TypeError, "black-box loss"),
    Case("value_and_grad", "feature map changing the axes",
         lambda: ssagrad.value_and_grad(NET, P, None, [1.0], n=10, seed=1,
                                        loss=ssagrad.EnsembleLoss(np.ravel, loss_of_mean)),
         V, "feature map must keep the leading axes"),
    # fit
    Case("fit", "unknown loss", fit(loss="l7"), V, "'l7'"),
    Case("fit", "unknown optimizer", fit(optimizer="sgdx"), V, "'sgdx'"),
    Case("fit", "fixing an unknown parameter", fit(fixed=["kk"]), V, "'kk'"),
    Case("fit", "zero steps", fit(steps=0), V, "steps must be"),
    Case("fit", "initial value for an unknown parameter", fit(init={**P, "q": 2.0}), V, "'q'"),
    Case("fit", "data species not in the network",
         fit(data=data().assign_coords(species=["Z"])), V, "'Z'"),
    Case("fit", "missing data file", fit(data="no_such_data.nc"), V,
         "'no_such_data.nc' does not exist"),
    Case("fit", "n = 10**9 samples per step (memory)", with_limit("16GB", fit(n=10**9)), LIMIT,
         "n=1000000000 samples"),
    Case("fit", "n_eval = 10**10 final cells (memory)", with_limit("16GB", fit(n_eval=10**10)),
         LIMIT, "n_eval=10000000000"),
    # structure.learn
    Case("structure.learn", "unknown formulation", structure(formulation="magic"), V,
         "unknown formulation 'magic'"),
    Case("structure.learn", "slots where none apply", structure(slots=2), V, "no slots"),
    Case("structure.learn", "reaction steps without slots",
         structure(formulation="reaction_steps"), V, "needs slots=N"),
    Case("structure.learn", "no x0", structure(x0=None), V, "x0 is required"),
    Case("structure.learn", "sparsity on a formulation without it",
         structure(formulation="reaction_steps", slots=1, sparsity=0.1), V, "sparsity"),
    Case("structure.learn", "n = 10**9 samples per step (memory)",
         with_limit("16GB", structure(n=10**9)), LIMIT, "estimator 'smoothing'"),
    # read_data
    Case("read_data", "missing file", lambda: read_data("missing.csv"), V,
         "'missing.csv' does not exist"),
    Case("read_data", "unknown suffix", lambda: read_file("cells.xlsx", "x"), V,
         "cannot read 'cells.xlsx'"),
    Case("read_data", "no time column", lambda: read_file("a.csv", "sample,M\n0,1\n"), V,
         "no 'time' column"),
    Case("read_data", "header only", lambda: read_file("b.csv", "sample,time,M\n"), V,
         "'b.csv' has no rows"),
    Case("read_data", "counts that are words",
         lambda: read_file("c.csv", "sample,time,M\n0,1,many\n"), V, "counts must be numbers"),
    Case("read_data", "a cell listed twice",
         lambda: read_file("d.csv", "sample,time,M\n0,1,3\n0,1,4\n"), V,
         "sample 0 at time 1 twice"),
    Case("read_data", "negative count",
         lambda: read_file("e.csv", "sample,time,M\n0,1,-3\n"), V, "'M'"),
    Case("read_data", "negative time",
         lambda: read_file("f.csv", "sample,time,M\n0,-1,3\n"), V, "times"),
    # read_sbml (documents of tests/sbml_documents.py)
    *(
        Case("read_sbml", bad, lambda source=MALFORMED[bad][0]: ssagrad.read_sbml(source), V,
             MALFORMED[bad][1])
        for bad in ("missing file", "not xml", "fast reaction", "non-integer stoichiometry",
                    "no kinetic law", "parameter without value", "algebraic rule",
                    "fractional initial amount")
    ),
    # command line
    Case("ssagrad (CLI)", "no such network file",
         lambda: cli("simulate", "nets.txt", "--times", "0:1:2"), E,
         "'nets.txt' is neither a file nor a zoo model"),
    Case("ssagrad (CLI)", "malformed --param",
         lambda: cli("simulate", "birth_death", "--times", "0:1:2", "--param", "k"), E,
         "--param must look like NAME=VALUE, got 'k'"),
    Case("ssagrad (CLI)", "unreadable --param value",
         lambda: cli("simulate", "birth_death", "--times", "0:1:2", "--param", "k=fast"), E,
         "--param 'k': cannot read 'fast'"),
    Case("ssagrad (CLI)", "malformed --times",
         lambda: cli("simulate", "birth_death", "--times", "0:1"), E,
         "times must be start:stop:count"),
    Case("ssagrad (CLI)", "unknown parameter",
         lambda: cli("simulate", "birth_death", "--times", "0:1:2", "--param", "q=1"), E,
         "unknown parameter 'q'"),
    Case("ssagrad (CLI)", "simulate -n 10**12 (memory)",
         with_limit("16GB", lambda: cli("simulate", "birth_death", "--times", "0:1:2", "-n",
                                        "1000000000000")), E, "over the memory limit of 16 GB"),
    Case("ssagrad (CLI)", "simulate a malformed SBML file",
         lambda: cli("simulate", sbml_file("<sbml><model"), "--times", "0:1:2"), E,
         "invalid SBML"),
    Case("ssagrad (CLI)", "fit of a missing data file",
         lambda: cli("fit", "birth_death", "nothing.nc", "--steps", "2"), E,
         "'nothing.nc' does not exist"),
]
# fmt: on


def run(case: Case) -> BaseException:
    """Run ``case``; return the exception it raised (AssertionError if none)."""
    try:
        case.call()
    except BaseException as err:  # noqa: BLE001 - the catalogue records what is raised
        return err
    return AssertionError(f"{case.entry}: {case.bad}: nothing was raised")


def message(err: BaseException) -> str:
    """The message as documented: its first line."""
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def render() -> str:
    """docs/errors.md: every case with the error it gets."""
    lines = [
        "# Errors: the bad-input catalogue",
        "",
        "Every public entry point refuses bad input with an exception whose message names "
        "the offending thing. This page lists the catalogue that the test suite checks "
        f"(`tests/bad_inputs.py`, {len(CASES)} bad inputs), each with the exception it raises "
        "and its message, as produced by this version of ssagrad. The command line prints "
        "`ssagrad: error: MESSAGE` and exits with status 2.",
        "",
        "Generated, do not edit: `PYTHONPATH=pyside python3 tests/bad_inputs.py "
        "docs/errors.md` (a test fails when this page and the catalogue disagree).",
        "",
        "| # | entry point | bad input | exception | message |",
        "|---|---|---|---|---|",
    ]
    for number, case in enumerate(CASES, start=1):
        err = run(case)
        kind = "exit status 2" if isinstance(err, CommandLineError) else type(err).__name__
        text = message(err).replace("|", "\\|")
        lines.append(f"| {number} | `{case.entry}` | {case.bad} | {kind} | {text} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    page = render()
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(page)
    else:
        sys.stdout.write(page)
