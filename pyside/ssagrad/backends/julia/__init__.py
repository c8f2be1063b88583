"""The julia backend: the SSAGrad Julia package (``julia/``) through juliacall.

Importing this package never imports ``juliacall`` or starts Julia: the checks of
:mod:`._locate` look at the environment, ``PATH`` and the file system only. Julia starts
when a :class:`JuliaBackend` is constructed, i.e. the first time the julia backend is
chosen in a process (:mod:`._bridge`), and nothing is downloaded unless you ran
``python -m ssagrad.backends.julia install``.

Every capability is provided: the direct method, tau-leaping and the gradient kernels
(score, gumbel, altpath, cfd) run on SSAGrad's own kernels; ``sorting``, ``nrm`` and
``cr`` run JumpProcesses' ``SortingDirect``, ``NRM`` and ``DirectCR`` aggregators
(loaded on first use). Each trajectory runs on its own Julia random stream seeded with
its seed, so results do not depend on the thread count, but they differ from the native
backend's streams: the backends agree in distribution, not bitwise.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ...network import NetworkArrays
from .._contract import CAPABILITIES, NETWORK_FEATURES, Backend, Kernels, into_states
from ._locate import julia_executable, julia_project, julia_requirements, unavailable_reason
from ._marshal import AGGREGATORS, from_julia, kernel_inputs, network_arguments, results

__all__ = [
    "JULIA_CAPABILITIES",
    "JuliaBackend",
    "from_julia",
    "julia_executable",
    "julia_project",
    "julia_requirements",
    "network_arguments",
    "unavailable_reason",
]

#: What the julia backend provides: every simulation and gradient kernel of the contract,
#: for mass-action and Hill laws (expression rate laws and events are native only:
#: refused up front). A fit on it evaluates its W1 loss by the NumPy composition
#: (``w1_score`` is native only).
JULIA_CAPABILITIES = tuple(c for c in CAPABILITIES if c not in NETWORK_FEATURES and c != "w1_score")

_I, _F = np.int64, np.float64


class JuliaBackend(Backend):
    """SSAGrad's Julia kernels through juliacall.

    The first construction in a process starts Julia (threads: ``PYTHON_JULIACALL_THREADS``,
    default ``auto`` here) and loads SSAGrad from :func:`julia_project`; expect a while
    for the first start while Julia precompiles SSAGrad.

    Raises
    ------
    RuntimeError
        Something is missing (juliacall, Julia, the SSAGrad sources or Julia packages);
        the message says what and how to install it, online or offline.
    """

    name = "julia"
    capabilities = JULIA_CAPABILITIES

    def __init__(self) -> None:
        from ._bridge import start

        self._jl, self._ssagrad = start()
        self._aggregators: dict[str, Any] = {}

    def set_threads(self, threads: int | None) -> None:
        """Julia's thread count is fixed at start-up; warn if a different one is asked for."""
        if threads is None:
            return
        running = int(self._jl.Threads.nthreads())
        if threads != running:
            warnings.warn(
                f"the julia backend runs {running} thread(s), fixed when Julia started; "
                f"set PYTHON_JULIACALL_THREADS={threads} before the first call to change it",
                RuntimeWarning,
                stacklevel=3,
            )

    def _network(self, arrays: NetworkArrays) -> Any:
        """The Julia ``ReactionNetwork`` of ``arrays``, built once and kept on them."""
        net = arrays.__dict__.get("_julia_network")
        if net is None:
            net = self._ssagrad.ReactionNetwork(**network_arguments(arrays))
            object.__setattr__(arrays, "_julia_network", net)
        return net

    def _aggregator(self, method: str) -> Any:
        """The JumpProcesses aggregator running ``method`` (JumpProcesses loaded on first use)."""
        if method not in self._aggregators:
            from ._bridge import load_jumpprocesses

            module = load_jumpprocesses(self._jl)
            self._aggregators[method] = getattr(module, AGGREGATORS[method])()
        return self._aggregators[method]

    def simulate(
        self,
        arrays: NetworkArrays,
        theta: np.ndarray,
        x0: np.ndarray,
        times: np.ndarray,
        seeds: np.ndarray,
        method: str,
        max_events: int,
        dt: float,
        states: np.ndarray | None = None,
    ) -> Kernels:
        options: dict[str, Any] = {"max_events": int(max_events)}
        if method in AGGREGATORS:
            options["aggregator"] = self._aggregator(method)
        elif method in ("direct", "tau"):
            options.update(method=method, dt=float(dt))
        else:  # validated above the seam
            raise ValueError(f"unknown method {method!r}")
        out = self._ssagrad.simulate(
            self._network(arrays), *kernel_inputs(theta, x0, times, seeds), **options
        )
        return into_states(states, results(out, (_I, _I, _I)))

    def _gradient_kernel(
        self,
        kernel: str,
        dtypes: tuple[type, ...],
        arrays: NetworkArrays,
        inputs: tuple[np.ndarray, ...],
        **options: Any,
    ) -> Kernels:
        """Call SSAGrad's ``kernel(net, theta, n_params, x0, times, seeds; options...)``."""
        theta, x0, times, seeds = kernel_inputs(*inputs)
        n_params = int(arrays.n_parameters)
        out = getattr(self._ssagrad, kernel)(
            self._network(arrays), theta, n_params, x0, times, seeds, **options
        )
        return results(out, dtypes)

    def score(
        self,
        arrays: NetworkArrays,
        theta: np.ndarray,
        x0: np.ndarray,
        times: np.ndarray,
        seeds: np.ndarray,
        max_events: int,
    ) -> Kernels:
        inputs = (theta, x0, times, seeds)
        return self._gradient_kernel(
            "simulate_score", (_I, _F, _I, _I), arrays, inputs, max_events=int(max_events)
        )

    def gumbel(
        self,
        arrays: NetworkArrays,
        theta: np.ndarray,
        x0: np.ndarray,
        times: np.ndarray,
        seeds: np.ndarray,
        max_events: int,
        temperature: float,
        time_smoothing: float,
    ) -> Kernels:
        options = {"temperature": float(temperature), "time_smoothing": float(time_smoothing)}
        inputs = (theta, x0, times, seeds)
        return self._gradient_kernel(
            "simulate_gumbel",
            (_I, _F, _I, _I),
            arrays,
            inputs,
            max_events=int(max_events),
            **options,
        )

    def altpath(
        self,
        arrays: NetworkArrays,
        theta: np.ndarray,
        x0: np.ndarray,
        times: np.ndarray,
        seeds: np.ndarray,
        max_events: int,
        rate_margin: float,
    ) -> Kernels:
        options = {"rate_margin": float(rate_margin), "max_events": int(max_events)}
        inputs = (theta, x0, times, seeds)
        return self._gradient_kernel(
            "simulate_altpath", (_I, _I, _F, _I, _I), arrays, inputs, **options
        )

    def coupled(
        self,
        arrays: NetworkArrays,
        theta_plus: np.ndarray,
        theta_minus: np.ndarray,
        x0: np.ndarray,
        times: np.ndarray,
        seeds: np.ndarray,
        max_events: int,
    ) -> Kernels:
        plus, x0, times, seeds = kernel_inputs(theta_plus, x0, times, seeds)
        minus = kernel_inputs(theta_minus, x0, times, seeds)[0]
        out = self._ssagrad.simulate_coupled(
            self._network(arrays), plus, minus, x0, times, seeds, max_events=int(max_events)
        )
        return results(out, (_I, _I, _I, _I))
