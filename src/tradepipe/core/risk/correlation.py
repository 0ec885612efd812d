"""Rolling return correlations across held and candidate symbols, and the portfolio volatility they imply.

Returns are standardised once (each row demeaned and scaled to unit norm), so a correlation is a dot product and
``C @ u`` is ``Z @ (Zᵀ @ u)``: the model never builds the n × n matrix. Symbols without returns are uncorrelated
with everything and carry a fallback volatility.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt

Key = tuple[str, str]  # (venue, symbol)
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ReturnPanel:
    """Per-bar log returns of some symbols over the same bars: ``returns[i]`` belongs to ``keys[i]`` (NaN = gap)."""

    keys: tuple[Key, ...]
    returns: FloatArray  # shape (len(keys), bars)

    def __post_init__(self) -> None:
        if self.returns.ndim != 2 or self.returns.shape[0] != len(self.keys):
            raise ValueError(f"returns must be (keys, bars); got {self.returns.shape} for {len(self.keys)} keys")

    @classmethod
    def from_closes(cls, keys: Sequence[Key], closes: FloatArray) -> ReturnPanel:
        """Log returns of close prices ``(keys, bars + 1)``; non-positive prices become gaps."""
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.log(np.where(closes > 0, closes, np.nan))
        return cls(tuple(keys), np.diff(logs, axis=1))

    @classmethod
    def empty(cls) -> ReturnPanel:
        return cls((), np.zeros((0, 0)))


def standardise(returns: FloatArray, window: int) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """Rows of the last ``window`` bars demeaned and scaled to unit norm; their std; which rows had data (≥ 3 bars)."""
    tail = returns[:, -window:] if returns.shape[1] > window else returns
    valid_bars = np.isfinite(tail)
    count = valid_bars.sum(axis=1)
    filled = np.where(valid_bars, tail, 0.0)
    mean = filled.sum(axis=1) / np.maximum(count, 1)
    centred = np.where(valid_bars, tail - mean[:, None], 0.0)
    norm = np.sqrt((centred * centred).sum(axis=1))
    ok = (count >= 3) & (norm > 0)
    z = np.where(ok[:, None], centred / np.where(ok, norm, 1.0)[:, None], 0.0)
    std = np.where(ok, norm / np.sqrt(np.maximum(count - 1, 1)), 0.0)
    return z, std, ok


class RiskModel:
    """Correlations and volatility over ``keys`` (held first, then candidates), updated as entries are approved."""

    def __init__(
        self,
        keys: Sequence[Key],
        panel: ReturnPanel,
        *,
        window: int,
        fallback_vol: Mapping[Key, float],
        default_vol: float,
        exposure: Mapping[Key, float],
        equity: float,
        cluster_threshold: float,
    ) -> None:
        self.keys = tuple(keys)
        self.index = {k: i for i, k in enumerate(self.keys)}
        n = len(self.keys)
        bars = panel.returns.shape[1] if panel.keys else 0
        rows = np.full((n, bars), np.nan)
        known = [(self.index[k], j) for j, k in enumerate(panel.keys) if k in self.index]
        if known and bars:
            dest, src = map(list, zip(*known, strict=True))
            rows[dest] = panel.returns[src]
        self.z: FloatArray
        self.z, std, ok = standardise(rows, window) if bars else (np.zeros((n, 1)), np.zeros(n), np.zeros(n, bool))
        fallback = np.array([fallback_vol.get(k, default_vol) for k in self.keys], dtype=np.float64)
        fallback = np.where(np.isfinite(fallback) & (fallback > 0), fallback, default_vol)
        self.vol = np.where(ok, std, fallback)
        self.missing = ~ok
        self.equity = max(equity, 1e-12)
        self.threshold = cluster_threshold
        self.exposure = np.array([exposure.get(k, 0.0) for k in self.keys], dtype=np.float64)
        self._init_held()

    def _init_held(self) -> None:
        held = np.flatnonzero(self.exposure > 0)
        n = len(self.keys)
        self.max_corr = np.full(n, -np.inf)
        self.max_with = np.full(n, -1, dtype=np.int64)
        self.cluster = np.zeros(n)
        if held.size:
            _held_stats(self.z, held, self.exposure[held], self.threshold, self.max_corr, self.max_with, self.cluster)
            self.cluster += self.exposure  # a held symbol is in its own cluster
        weighted = self.vol * self.exposure / self.equity
        self.g = self._times_corr(weighted)  # C @ (σ ∘ w)
        self.port_var = float(weighted @ self.g)

    def _times_corr(self, u: FloatArray) -> FloatArray:
        out = np.empty_like(u)
        _corr_times(self.z, u, self.missing, out)
        return out

    def correlation_with_held(self, i: int) -> tuple[float, Key | None]:
        j = int(self.max_with[i])
        return (float(self.max_corr[i]), self.keys[j]) if j >= 0 else (0.0, None)

    def portfolio_vol(self) -> float:
        return float(np.sqrt(max(self.port_var, 0.0)))

    def vol_room(self, i: int, max_vol: float) -> float:
        """Largest notional for key ``i`` that keeps the portfolio's per-bar volatility ≤ ``max_vol`` (≥ 0)."""
        sigma = float(self.vol[i])
        c0 = self.port_var - max_vol * max_vol
        if c0 > 0:
            return 0.0
        if sigma <= 0:
            return float("inf")
        # the positive root of a·x² + b·x + c0 = 0 (c0 ≤ 0), in the form that does not cancel or divide by 0
        a = sigma * sigma
        b = 2.0 * sigma * float(self.g[i])
        root = math.sqrt(b * b - 4.0 * a * c0)
        if b >= 0:
            x = -2.0 * c0 / (b + root) if b + root > 0 else (0.0 if a > 0 else float("inf"))
        else:
            x = (root - b) / (2.0 * a) if a > 0 else float("inf")
        return max(0.0, x) * self.equity

    def add(self, i: int, notional: float, *, from_row: int = 0) -> None:
        """Record an approved entry of ``notional`` in key ``i``: it counts as held for the next candidates.

        Only rows ``from_row:`` are brought up to date (the planner passes the first undecided candidate, since
        the rows before it are never read again); the portfolio variance is always exact.
        """
        x = notional / self.equity
        sigma = float(self.vol[i])
        self.port_var += 2.0 * x * sigma * float(self.g[i]) + (x * sigma) ** 2
        self.exposure[i] += notional
        _absorb(
            self.z, i, from_row, notional, x * sigma, self.threshold, self.cluster, self.g, self.max_corr, self.max_with
        )


@numba.njit(cache=True, nogil=True, fastmath=True)
def _absorb(
    z: FloatArray,
    i: int,
    from_row: int,
    notional: float,
    scaled: float,
    threshold: float,
    cluster: FloatArray,
    g: FloatArray,
    max_corr: FloatArray,
    max_with: npt.NDArray[np.int64],
) -> None:  # pragma: no cover - compiled
    """One pass over rows ``from_row:``: correlation with row ``i``, then cluster, C·(σ∘w) and best-correlation updates.

    A fused single-threaded loop: per approval it touches each row once, where numpy would run a threaded BLAS
    matrix-vector product plus five temporaries (2–3× slower on a busy 2-core machine).
    """
    n, bars = z.shape
    for r in range(from_row, n):
        c = 1.0
        if r != i:
            c = 0.0
            for k in range(bars):
                c += z[r, k] * z[i, k]
        if c >= threshold:
            cluster[r] += notional
        g[r] += scaled * c
        if r != i and c > max_corr[r]:
            max_corr[r] = c
            max_with[r] = i


# The kernels below are single-threaded numba loops on purpose: the model's products are small (≈ 1,200 × 96), and
# a threaded BLAS call there spins worker threads that steal the core the planner runs on when the machine is busy.


@numba.njit(cache=True, nogil=True, fastmath=True)
def _held_stats(
    z: FloatArray,
    held: npt.NDArray[np.int64],
    held_exposure: FloatArray,
    threshold: float,
    max_corr: FloatArray,
    max_with: npt.NDArray[np.int64],
    cluster: FloatArray,
) -> None:  # pragma: no cover - compiled
    """Per row: the best correlation with another held key (and which), and the held exposure correlated ≥ threshold."""
    n, bars = z.shape
    for r in range(n):
        best, arg, total = -np.inf, -1, 0.0
        for h in range(held.size):
            j = held[h]
            if j == r:
                continue
            c = 0.0
            for k in range(bars):
                c += z[r, k] * z[j, k]
            if c > best:
                best, arg = c, j
            if c >= threshold:
                total += held_exposure[h]
        max_corr[r], max_with[r], cluster[r] = best, arg, total


@numba.njit(cache=True, nogil=True, fastmath=True)
def _corr_times(
    z: FloatArray, u: FloatArray, missing: npt.NDArray[np.bool_], out: FloatArray
) -> None:  # pragma: no cover
    """``out = C @ u`` with ``C = Z Zᵀ`` (plus 1 on the diagonal of rows without returns)."""
    n, bars = z.shape
    v = np.zeros(bars)
    for r in range(n):
        if u[r] != 0.0:
            for k in range(bars):
                v[k] += z[r, k] * u[r]
    for r in range(n):
        total = 0.0
        for k in range(bars):
            total += z[r, k] * v[k]
        out[r] = total + (u[r] if missing[r] else 0.0)
