"""A deterministic synthetic market: the price history every simulated venue quotes from.

For a given seed the candles are the same every time, on any machine: each symbol's path comes from
``numpy.random.default_rng`` seeded by a SHA-256 of ``(seed, symbol)``. Log returns follow GBM whose
variance is GARCH(1,1) and whose drift and volatility level depend on a Markov chain of regimes
(trending up, trending down, ranging, volatile). Paths are generated lazily and cached per instance.

Planted bad data (``bad_data_every=N > 0``): the symbols at sorted indices ``0, N, 2N, ...`` each carry
one defect, cycling through ``DEFECT_KINDS`` in that order (the ``j``-th defective symbol gets
``DEFECT_KINDS[j % 4]``), in the bar that is the ``DEFECT_LAG_BARS``-th (10th) last one closed at
``defects_before_ms`` (default ``history_end_ms``, i.e. bar ``history_bars - 10``), so a cycle at that
time sees it among its most recent bars. Defects live only in the candle feed (``candles``); the traded
price (``price_at``, ``clean_candles``) stays clean. ``planted_defects()`` lists them.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from tradepipe.clock import TIMEFRAME_MS
from tradepipe.errors import ConfigurationError

QUOTE = "USDT"
TS, OPEN, HIGH, LOW, CLOSE, VOLUME = range(6)
DEFECT_KINDS: tuple[str, ...] = ("nan_close", "nonpositive_price", "high_below_low", "missing_bar")
DEFECT_LAG_BARS = 10
REGIME_MEAN_BARS = 150
GARCH_ALPHA = 0.08
GARCH_BETA = 0.90
WICK_SCALE = 0.6
MIN_START_PRICE, MAX_START_PRICE = 0.01, 60_000.0
_MS_PER_YEAR = 365 * 86_400_000

# base, anchor start price, annualised volatility, daily quote volume (USDT)
MAJORS: tuple[tuple[str, float, float, float], ...] = (
    ("BTC", 60_000.0, 0.50, 2.5e9),
    ("ETH", 3_000.0, 0.65, 1.2e9),
    ("SOL", 150.0, 0.90, 6.0e8),
    ("BNB", 580.0, 0.55, 4.0e8),
    ("XRP", 0.60, 0.80, 3.5e8),
    ("DOGE", 0.12, 1.00, 3.0e8),
    ("ADA", 0.45, 0.85, 1.5e8),
    ("AVAX", 35.0, 0.95, 1.2e8),
    ("LINK", 15.0, 0.90, 1.0e8),
    ("DOT", 7.0, 0.85, 8.0e7),
    ("TRX", 0.12, 0.50, 7.0e7),
    ("LTC", 80.0, 0.70, 6.0e7),
    ("ATOM", 9.0, 0.85, 4.0e7),
    ("NEAR", 5.0, 1.00, 5.0e7),
    ("UNI", 8.0, 0.95, 4.0e7),
    ("APT", 9.0, 1.05, 4.5e7),
    ("ARB", 1.1, 1.10, 5.0e7),
    ("OP", 2.2, 1.10, 4.0e7),
    ("FIL", 5.5, 1.00, 3.0e7),
    ("INJ", 25.0, 1.20, 3.5e7),
    ("SUI", 1.2, 1.20, 6.0e7),
    ("AAVE", 95.0, 0.95, 2.5e7),
    ("PEPE", 0.011, 1.40, 9.0e7),
    ("WIF", 2.5, 1.50, 8.0e7),
)


class Regime(IntEnum):
    TREND_UP = 0
    TREND_DOWN = 1
    RANGING = 2
    VOLATILE = 3


# per regime: drift in units of the symbol's per-bar sigma, and a multiplier of its volatility level
REGIME_DRIFT = np.array([0.08, -0.08, 0.0, 0.0])
REGIME_VOL_MULT = np.array([1.0, 1.2, 0.55, 2.2])


@dataclass(frozen=True, slots=True)
class SymbolProfile:
    symbol: str
    base: str
    start_price: float
    annual_vol: float
    daily_quote_volume: float


@dataclass(frozen=True, slots=True)
class PlantedDefect:
    symbol: str
    kind: str
    bar_index: int
    ts_ms: int


def stable_seed(*parts: object) -> int:
    """A 128-bit seed from ``parts`` that is the same in every process (unlike ``hash``)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:16], "big")


def synthetic_bases(count: int) -> list[str]:
    """``count`` base assets: the majors first, then deterministic 3-4 letter synthetic names."""
    names = [m[0] for m in MAJORS[:count]]
    taken = set(names)
    i = 0
    while len(names) < count:
        digest = hashlib.sha256(f"tradepipe-sim-base:{i}".encode()).digest()
        i += 1
        length = 3 + digest[0] % 2
        name = "".join(chr(ord("A") + b % 26) for b in digest[1 : 1 + length])
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


class SimMarket:
    """Deterministic candles for ~80 ``BASE/USDT`` symbols; see the module docstring."""

    def __init__(
        self,
        seed: int,
        timeframe: str = "1h",
        history_bars: int = 3000,
        start_ms: int = 1_767_225_600_000,
        *,
        future_bars: int = 2000,
        n_symbols: int = 80,
        bad_data_every: int = 0,
        defects_before_ms: int | None = None,
    ) -> None:
        if timeframe not in TIMEFRAME_MS:
            raise ConfigurationError(f"timeframe must be one of {sorted(TIMEFRAME_MS)}, got {timeframe!r}")
        if history_bars <= DEFECT_LAG_BARS or future_bars < 0 or n_symbols < 1 or bad_data_every < 0:
            raise ConfigurationError(
                "SimMarket needs history_bars > 10, future_bars >= 0, n_symbols >= 1, bad_data_every >= 0"
            )
        self.seed = seed
        self.timeframe = timeframe
        self.tf_ms = TIMEFRAME_MS[timeframe]
        self.history_bars = history_bars
        self.total_bars = history_bars + future_bars
        self.start_ms = start_ms
        self.bad_data_every = bad_data_every
        self.defects_before_ms = self.history_end_ms if defects_before_ms is None else defects_before_ms
        self._symbols = sorted(f"{base}/{QUOTE}" for base in synthetic_bases(n_symbols))
        self._profiles = {s: self._make_profile(s) for s in self._symbols}
        self._defects = self._choose_defects()
        self._clean: dict[str, np.ndarray] = {}
        self._delivered: dict[str, np.ndarray] = {}
        self._regimes: dict[str, np.ndarray] = {}

    # --- time ------------------------------------------------------------------
    @property
    def history_end_ms(self) -> int:
        """The instant all history bars have closed: the natural sim time of a first cycle."""
        return self.start_ms + self.history_bars * self.tf_ms

    @property
    def end_ms(self) -> int:
        """Close time of the last generated bar; past it the market stands still."""
        return self.start_ms + self.total_bars * self.tf_ms

    def bar_index_at(self, now_ms: int) -> int:
        """Index of the last bar closed at ``now_ms`` (open + timeframe <= now); -1 if none yet."""
        idx = (now_ms - self.start_ms) // self.tf_ms - 1
        return int(min(max(idx, -1), self.total_bars - 1))

    # --- symbols ---------------------------------------------------------------
    def symbols(self) -> list[str]:
        return list(self._symbols)

    def profile(self, symbol: str) -> SymbolProfile:
        try:
            return self._profiles[symbol]
        except KeyError:
            raise KeyError(f"unknown sim symbol {symbol!r}") from None

    def planted_defects(self) -> dict[str, PlantedDefect]:
        return dict(self._defects)

    # --- data ------------------------------------------------------------------
    def candles(self, symbol: str, until_ms: int | None = None, timeframe: str | None = None) -> np.ndarray:
        """Delivered bars (planted defects included) as a read-only ``(n, 6)`` array ts,o,h,l,c,v.

        With ``until_ms`` only bars closed by then; ``timeframe`` may be a multiple of the base one.
        """
        if symbol not in self._delivered:
            self._delivered[symbol] = self._plant(symbol, self.clean_candles(symbol))
        return self._view(self._delivered[symbol], until_ms, timeframe)

    def clean_candles(self, symbol: str, until_ms: int | None = None, timeframe: str | None = None) -> np.ndarray:
        """The true bars, without planted defects (what the venues trade on)."""
        if symbol not in self._clean:
            self._clean[symbol], self._regimes[symbol] = self._simulate(self.profile(symbol))
        return self._view(self._clean[symbol], until_ms, timeframe)

    def regimes(self, symbol: str) -> np.ndarray:
        """The regime (``Regime`` value) of each bar of ``symbol``."""
        self.clean_candles(symbol)
        return self._regimes[symbol]

    def price_at(self, symbol: str, now_ms: int) -> float:
        """Close of the last bar closed at ``now_ms`` (clean data)."""
        idx = self.bar_index_at(now_ms)
        if idx < 0:
            raise ValueError(f"no bar of {symbol} has closed at {now_ms} (market starts {self.start_ms})")
        return float(self.clean_candles(symbol)[idx, CLOSE])

    # --- internals -------------------------------------------------------------
    def _view(self, bars: np.ndarray, until_ms: int | None, timeframe: str | None) -> np.ndarray:
        step = self.tf_ms
        if timeframe is not None and timeframe != self.timeframe:
            step = _timeframe_multiple(timeframe, self.tf_ms)
            bars = aggregate_bars(bars, step, self.end_ms)
        if until_ms is not None:
            bars = bars[: int(np.searchsorted(bars[:, TS], until_ms - step, side="right"))]
        return bars

    def _make_profile(self, symbol: str) -> SymbolProfile:
        base = symbol.split("/")[0]
        rng = np.random.default_rng(stable_seed(self.seed, symbol, "profile"))
        jitter = float(rng.uniform(0.8, 1.25))
        major = next((m for m in MAJORS if m[0] == base), None)
        if major is not None:
            price, vol, qvol = major[1] * jitter, major[2], major[3] * jitter
        else:
            price = float(math.exp(rng.uniform(math.log(MIN_START_PRICE), math.log(MAX_START_PRICE))))
            vol = float(rng.uniform(0.6, 1.8))
            qvol = float(math.exp(rng.uniform(math.log(5e4), math.log(5e7))))
        return SymbolProfile(symbol, base, min(max(price, MIN_START_PRICE), MAX_START_PRICE), vol, qvol)

    def _choose_defects(self) -> dict[str, PlantedDefect]:
        if self.bad_data_every <= 0:
            return {}
        last_closed = (self.defects_before_ms - self.start_ms) // self.tf_ms - 1
        bar = int(min(max(last_closed - DEFECT_LAG_BARS + 1, 1), self.total_bars - 1))
        chosen = self._symbols[:: self.bad_data_every]
        return {
            s: PlantedDefect(s, DEFECT_KINDS[j % len(DEFECT_KINDS)], bar, self.start_ms + bar * self.tf_ms)
            for j, s in enumerate(chosen)
        }

    def _simulate(self, prof: SymbolProfile) -> tuple[np.ndarray, np.ndarray]:
        n = self.total_bars
        rng = np.random.default_rng(stable_seed(self.seed, prof.symbol, "path"))
        sigma = prof.annual_vol / math.sqrt(_MS_PER_YEAR / self.tf_ms)
        regimes = _regime_chain(rng, n)
        eps, var = _garch(rng.standard_normal(n), (sigma * REGIME_VOL_MULT[regimes]) ** 2)
        log_ret = REGIME_DRIFT[regimes] * sigma - 0.5 * var + eps
        close = prof.start_price * np.exp(np.cumsum(log_ret))
        open_ = np.concatenate(([prof.start_price], close[:-1]))
        wick = np.abs(rng.standard_normal((2, n))) * np.sqrt(var) * WICK_SCALE
        high = np.maximum(open_, close) * np.exp(wick[0])
        low = np.minimum(open_, close) * np.exp(-wick[1])
        bars_per_day = 86_400_000 / self.tf_ms
        activity = (0.3 + 0.8 * np.abs(eps) / sigma) * rng.lognormal(0.0, 0.25, n)
        volume = prof.daily_quote_volume / bars_per_day * activity / close
        ts = self.start_ms + np.arange(n, dtype=np.float64) * self.tf_ms
        bars = np.column_stack([ts, open_, high, low, close, volume])
        bars.setflags(write=False)
        regimes = regimes.astype(np.int8)
        regimes.setflags(write=False)
        return bars, regimes

    def _plant(self, symbol: str, clean: np.ndarray) -> np.ndarray:
        defect = self._defects.get(symbol)
        if defect is None:
            return clean
        bars = clean.copy()
        k = defect.bar_index
        if defect.kind == "nan_close":
            bars[k, CLOSE] = np.nan
        elif defect.kind == "nonpositive_price":
            bars[k, CLOSE] = -bars[k, CLOSE]
            bars[k, LOW] = bars[k, CLOSE]
        elif defect.kind == "high_below_low":
            bars[k, HIGH], bars[k, LOW] = clean[k, LOW], clean[k, HIGH]
        else:  # missing_bar
            bars = np.delete(bars, k, axis=0)
        bars.setflags(write=False)
        return bars


def _regime_chain(rng: np.random.Generator, n: int) -> np.ndarray:
    """A sticky Markov chain over the four regimes: geometric durations, then a jump to another regime."""
    out = np.empty(n, dtype=np.int64)
    state = int(rng.integers(len(Regime)))
    pos = 0
    while pos < n:
        length = int(rng.geometric(1.0 / REGIME_MEAN_BARS))
        out[pos : pos + length] = state
        pos += length
        state = (state + 1 + int(rng.integers(len(Regime) - 1))) % len(Regime)
    return out


def _garch(z: np.ndarray, target_var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GARCH(1,1) shocks whose long-run variance follows ``target_var``; returns (shocks, variances)."""
    n = len(z)
    eps = np.empty(n)
    var = np.empty(n)
    weight = 1.0 - GARCH_ALPHA - GARCH_BETA
    h = float(target_var[0])
    prev_sq = h
    for t, (zt, tv) in enumerate(zip(z.tolist(), target_var.tolist(), strict=True)):
        h = weight * tv + GARCH_ALPHA * prev_sq + GARCH_BETA * h
        e = math.sqrt(h) * zt
        var[t] = h
        eps[t] = e
        prev_sq = e * e
    return eps, var


def _timeframe_multiple(timeframe: str, base_ms: int) -> int:
    step = TIMEFRAME_MS.get(timeframe)
    if step is None or step % base_ms:
        raise ValueError(f"timeframe {timeframe!r} is not a multiple of the market's {base_ms} ms bars")
    return step


def aggregate_bars(bars: np.ndarray, step_ms: int, end_ms: int) -> np.ndarray:
    """Bars grouped into ``step_ms`` buckets aligned to the epoch; buckets past ``end_ms`` are dropped."""
    if len(bars) == 0:
        return bars
    keys = (bars[:, TS] // step_ms).astype(np.int64)
    starts = np.flatnonzero(np.diff(keys, prepend=keys[0] - 1))
    ends = np.append(starts[1:], len(bars)) - 1
    out = np.column_stack(
        [
            keys[starts].astype(np.float64) * step_ms,
            bars[starts, OPEN],
            np.maximum.reduceat(bars[:, HIGH], starts),
            np.minimum.reduceat(bars[:, LOW], starts),
            bars[ends, CLOSE],
            np.add.reduceat(bars[:, VOLUME], starts),
        ]
    )
    out = out[out[:, TS] + step_ms <= end_ms]
    out.setflags(write=False)
    return out
