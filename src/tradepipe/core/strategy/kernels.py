"""Numba kernels of the indicators, each over one gap-free segment, written the way TA-Lib computes them.

Every kernel takes 1-D float64 input views with no NaN (the caller splits a series at NaN gaps) and
writes into preallocated output views of the same length: NaN for the warm-up bars, then the values.
Formulas, seeds and zero tests follow TA-Lib 0.6+/0.8 (``ta_func/*.c``) so the results agree to ~1e-12:

* EMA: seed = SMA of the first ``n`` values at bar ``n-1``, then ``prev + k * (x - prev)``, ``k = 2/(n+1)``;
* RSI, ATR, +DI/-DI, ADX: Wilder smoothing with TA-Lib's seeds and its default unstable period of 0;
* MACD: the fast EMA is seeded on the window that ends where the slow EMA's seed ends, as TA-Lib does;
* windowed variance from anchored running sums rebuilt every window (TA-Lib 0.8 is numerically stable;
  textbook running sums of squares are off by ~1e-8 of price on real data).

Kernels are compiled once and cached on disk (``cache=True``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

NAN = np.nan
THIRD = 1.0 / 3.0


@njit(cache=True)
def nan_prefix(out: np.ndarray, count: int) -> None:
    for i in range(min(count, out.size)):
        out[i] = NAN


@njit(cache=True)
def is_zero(value: float) -> bool:
    """TA-Lib's ``TA_IS_ZERO`` as its DI/ADX code uses it: within 1e-14 of zero (absolute, so the DIs of a series that
    moves by a few ulps read as 'no movement', as in TA-Lib)."""
    return -1e-14 < value < 1e-14


@njit(cache=True)
def sma_into(x: np.ndarray, n: int, out: np.ndarray) -> None:
    size = x.size
    nan_prefix(out, n - 1)
    if size < n:
        return
    total = 0.0
    for i in range(n - 1):
        total += x[i]
    for i in range(n - 1, size):
        total += x[i]
        out[i] = total / n
        total -= x[i - n + 1]


@njit(cache=True)
def ema_into(x: np.ndarray, n: int, out: np.ndarray) -> None:
    size = x.size
    nan_prefix(out, n - 1)
    if size < n:
        return
    k = 2.0 / (n + 1)
    total = 0.0
    for i in range(n):
        total += x[i]
    prev = total / n
    out[n - 1] = prev
    for i in range(n, size):
        prev = (x[i] - prev) * k + prev
        out[i] = prev


@njit(cache=True)
def rsi_into(x: np.ndarray, n: int, out: np.ndarray) -> None:
    size = x.size
    nan_prefix(out, n)
    if size <= n:
        return
    gain = 0.0
    loss = 0.0
    for i in range(1, n + 1):
        diff = x[i] - x[i - 1]
        if diff < 0:
            loss -= diff
        else:
            gain += diff
    inv = 1.0 / n
    gain *= inv
    loss *= inv
    total = gain + loss
    out[n] = 100.0 * (gain / total) if total != 0.0 else 0.0
    for i in range(n + 1, size):
        diff = x[i] - x[i - 1]
        gain *= n - 1
        loss *= n - 1
        if diff < 0:
            loss -= diff
        else:
            gain += diff
        gain *= inv
        loss *= inv
        total = gain + loss
        out[i] = 100.0 * (gain / total) if total != 0.0 else 0.0


@njit(cache=True)
def true_range_at(h: np.ndarray, lo: np.ndarray, c: np.ndarray, i: int) -> float:
    prev = c[i - 1]
    high = h[i] if h[i] > prev else prev
    low = lo[i] if lo[i] < prev else prev
    return high - low


@njit(cache=True)
def true_range_into(h: np.ndarray, lo: np.ndarray, c: np.ndarray, out: np.ndarray) -> None:
    if out.size:
        out[0] = NAN
    for i in range(1, c.size):
        out[i] = true_range_at(h, lo, c, i)


@njit(cache=True)
def atr_into(h: np.ndarray, lo: np.ndarray, c: np.ndarray, n: int, out: np.ndarray) -> None:
    size = c.size
    nan_prefix(out, n)
    if size <= n:
        return
    total = 0.0
    for i in range(1, n + 1):
        total += true_range_at(h, lo, c, i)
    prev = total / n
    out[n] = prev
    inv = 1.0 / n
    for i in range(n + 1, size):
        prev = (prev * (n - 1) + true_range_at(h, lo, c, i)) * inv
        out[i] = prev


@njit(cache=True)
def directional_into(
    h: np.ndarray, lo: np.ndarray, c: np.ndarray, n: int, plus_di: np.ndarray, minus_di: np.ndarray, adx: np.ndarray
) -> None:
    """+DI and -DI (first value at bar ``n``) and ADX (first at ``2n-1``) in one pass, as TA-Lib does."""
    size = c.size
    nan_prefix(plus_di, n)
    nan_prefix(minus_di, n)
    nan_prefix(adx, 2 * n - 1)
    if size <= n:
        return
    pdm = 0.0
    mdm = 0.0
    tr = 0.0
    sum_dx = 0.0
    prev_adx = 0.0
    for i in range(1, size):
        diff_p = h[i] - h[i - 1]
        diff_m = lo[i - 1] - lo[i]
        if i >= n:
            pdm -= pdm / n  # divisions, as TA-Lib does: the DIs of a near-flat series are ratios of
            mdm -= mdm / n  # rounding noise, and only the same arithmetic gives the same noise
            tr -= tr / n
        if diff_m > 0 and diff_p < diff_m:
            mdm += diff_m
        elif diff_p > 0 and diff_p > diff_m:
            pdm += diff_p
        tr += true_range_at(h, lo, c, i)
        if i < n:
            continue
        p = 0.0
        m = 0.0
        dx = -1.0  # -1: not defined on this bar (zero range), ADX keeps its previous value
        if not is_zero(tr):
            p = 100.0 * (pdm / tr)
            m = 100.0 * (mdm / tr)
            total = m + p
            if not is_zero(total):
                dx = 100.0 * (abs(m - p) / total)
        plus_di[i] = p
        minus_di[i] = m
        if i < 2 * n - 1:
            if dx >= 0:
                sum_dx += dx
        elif i == 2 * n - 1:
            if dx >= 0:
                sum_dx += dx
            prev_adx = sum_dx / n
            adx[i] = prev_adx
        else:
            if dx >= 0:
                prev_adx = (prev_adx * (n - 1) + dx) / n
            adx[i] = prev_adx


@njit(cache=True)
def macd_into(
    x: np.ndarray, fast: int, slow: int, signal: int, line: np.ndarray, sig: np.ndarray, hist: np.ndarray
) -> None:
    """TA-Lib MACD: both EMAs start at bar ``slow-1``; all three outputs start at ``slow+signal-2``."""
    if slow < fast:
        fast, slow = slow, fast
    size = x.size
    first = slow + signal - 2
    nan_prefix(line, first)
    nan_prefix(sig, first)
    nan_prefix(hist, first)
    if size <= first:
        return
    kf = 2.0 / (fast + 1)
    ks = 2.0 / (slow + 1)
    kg = 2.0 / (signal + 1)
    ef = 0.0
    for i in range(slow - fast, slow):
        ef += x[i]
    ef /= fast
    es = 0.0
    for i in range(slow):
        es += x[i]
    es /= slow
    seed = ef - es
    total = seed
    for i in range(slow, first + 1):  # the signal EMA's seed: mean of the first `signal` MACD values
        ef = (x[i] - ef) * kf + ef
        es = (x[i] - es) * ks + es
        total += ef - es
    value = ef - es
    sg = total / signal
    line[first] = value
    sig[first] = sg
    hist[first] = value - sg
    for i in range(first + 1, size):
        ef = (x[i] - ef) * kf + ef
        es = (x[i] - es) * ks + es
        value = ef - es
        sg = (value - sg) * kg + sg
        line[i] = value
        sig[i] = sg
        hist[i] = value - sg


@njit(cache=True)
def window_std(x: np.ndarray, end: int, n: int, mean: float, ddof: int) -> float:
    """Standard deviation of ``x[end-n+1 .. end]`` around ``mean``, summed in a second pass."""
    acc = 0.0
    for j in range(end - n + 1, end + 1):
        d = x[j] - mean
        acc += d * d
    return math.sqrt(acc / (n - ddof))


@njit(cache=True)
def bbands_into(
    x: np.ndarray,
    n: int,
    dev_up: float,
    dev_down: float,
    upper: np.ndarray,
    middle: np.ndarray,
    lower: np.ndarray,
    zscore: np.ndarray,
) -> None:
    """Bollinger bands on the SMA with the population deviation, plus ``(x - SMA) / deviation`` (0 when flat),
    in one pass: the SMA's running sum as ``sma_into`` keeps it. The deviation comes from O(1) running sums
    without the cancellation of textbook sums of squares: they are sums of ``x - anchor``, with the anchor
    moved to a recent value and the sums rebuilt exactly from the window every ``n`` bars, so the rounding
    error is ~1e-16 of the window's range, not of the price level."""
    size = x.size
    for out in (upper, middle, lower, zscore):
        nan_prefix(out, n - 1)
    if size < n:
        return
    total = 0.0
    inv = 1.0 / n
    anchor = x[0]
    s1 = 0.0
    s2 = 0.0
    rebuild = n
    for i in range(size):
        if i == rebuild:
            rebuild += n
            anchor = x[i - 1]
            s1 = 0.0
            s2 = 0.0
            for j in range(i - n + 1, i):
                y = x[j] - anchor
                s1 += y
                s2 += y * y
        elif i >= n:
            y = x[i - n] - anchor
            s1 -= y
            s2 -= y * y
        y = x[i] - anchor
        s1 += y
        s2 += y * y
        total += x[i]
        if i < n - 1:
            continue
        mid = total / n  # a division, as TA-Lib's SMA: the z-score of a flat series divides rounding noise
        total -= x[i - n + 1]
        var = (s2 - s1 * (s1 * inv)) * inv
        sd = math.sqrt(var) if var > 0 else 0.0
        middle[i] = mid
        upper[i] = mid + dev_up * sd
        lower[i] = mid - dev_down * sd
        zscore[i] = (x[i] - mid) / sd if sd > 0 else 0.0


@njit(cache=True, inline="always")
def max_index(x: np.ndarray, best: int, i: int, n: int) -> int:
    """Index of the maximum of ``x[i-n+1 : i+1]`` given the previous bar's (TA-Lib's MAX: the latest tie wins);
    rescans only when the previous maximum left the window."""
    start = i - n + 1
    if best < start:
        best = start
        for j in range(start + 1, i + 1):
            if x[j] >= x[best]:
                best = j
    elif x[i] >= x[best]:
        best = i
    return best


@njit(cache=True, inline="always")
def min_index(x: np.ndarray, best: int, i: int, n: int) -> int:
    """``max_index`` for the minimum (TA-Lib MIN)."""
    start = i - n + 1
    if best < start:
        best = start
        for j in range(start + 1, i + 1):
            if x[j] <= x[best]:
                best = j
    elif x[i] <= x[best]:
        best = i
    return best


@njit(cache=True)
def highest_into(x: np.ndarray, n: int, out: np.ndarray) -> None:
    """Rolling maximum over ``n`` bars (TA-Lib MAX), tracking the index of the current maximum."""
    nan_prefix(out, n - 1)
    best = -1
    for i in range(n - 1, x.size):
        best = max_index(x, best, i, n)
        out[i] = x[best]


@njit(cache=True)
def lowest_into(x: np.ndarray, n: int, out: np.ndarray) -> None:
    """Rolling minimum over ``n`` bars (TA-Lib MIN)."""
    nan_prefix(out, n - 1)
    best = -1
    for i in range(n - 1, x.size):
        best = min_index(x, best, i, n)
        out[i] = x[best]


@njit(cache=True)
def donchian_into(h: np.ndarray, lo: np.ndarray, n: int, upper: np.ndarray, lower: np.ndarray) -> None:
    """``highest_into`` of the highs and ``lowest_into`` of the lows in one loop."""
    nan_prefix(upper, n - 1)
    nan_prefix(lower, n - 1)
    hi = -1
    lw = -1
    for i in range(n - 1, h.size):
        hi = max_index(h, hi, i, n)
        lw = min_index(lo, lw, i, n)
        upper[i] = h[hi]
        lower[i] = lo[lw]


@njit(cache=True)
def stoch_into(
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    fastk: int,
    slowk: int,
    slowd: int,
    k_out: np.ndarray,
    d_out: np.ndarray,
) -> None:
    """TA-Lib STOCH with SMA smoothing, in one pass: raw %K and slow %K live in small ring buffers."""
    size = c.size
    first = fastk + slowk + slowd - 3
    nan_prefix(k_out, first)
    nan_prefix(d_out, first)
    if size <= first:
        return
    ring_k = np.empty(slowk)
    ring_d = np.empty(slowd)
    pos_k = 0
    pos_d = 0
    total_k = 0.0
    total_d = 0.0
    inv_k = 1.0 / slowk
    inv_d = 1.0 / slowd
    hi = -1
    lw = -1
    for i in range(fastk - 1, size):
        hi = max_index(h, hi, i, fastk)
        lw = min_index(lo, lw, i, fastk)
        diff = h[hi] - lo[lw]
        fast = 100.0 * (c[i] - lo[lw]) / diff if diff != 0.0 else 0.0
        n_fast = i - fastk + 2  # raw %K values so far, this one included
        if n_fast > slowk:
            total_k -= ring_k[pos_k]
        total_k += fast
        ring_k[pos_k] = fast
        pos_k = pos_k + 1 if pos_k + 1 < slowk else 0
        if n_fast < slowk:
            continue
        slow = total_k * inv_k
        n_slow = n_fast - slowk + 1
        if n_slow > slowd:
            total_d -= ring_d[pos_d]
        total_d += slow
        ring_d[pos_d] = slow
        pos_d = pos_d + 1 if pos_d + 1 < slowd else 0
        if n_slow >= slowd:
            k_out[i] = slow
            d_out[i] = total_d * inv_d


@njit(cache=True)
def obv_into(c: np.ndarray, v: np.ndarray, out: np.ndarray) -> None:
    if c.size == 0:
        return
    total = v[0]
    out[0] = total
    for i in range(1, c.size):
        if c[i] > c[i - 1]:
            total += v[i]
        elif c[i] < c[i - 1]:
            total -= v[i]
        out[i] = total


@njit(cache=True)
def vwap_into(h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray, n: int, out: np.ndarray) -> None:
    """Rolling VWAP of the typical price ``(h+l+c)/3`` over ``n`` bars from running sums rebuilt exactly
    every ``n`` bars (bounded drift). NaN when the window has no volume."""
    nan_prefix(out, n - 1)
    pv = 0.0
    vol = 0.0
    rebuild = n
    for i in range(c.size):
        if i == rebuild:
            rebuild += n
            pv = 0.0
            vol = 0.0
            for j in range(i - n + 1, i):
                pv += (h[j] + lo[j] + c[j]) * THIRD * v[j]
                vol += v[j]
        elif i >= n:
            j = i - n
            pv -= (h[j] + lo[j] + c[j]) * THIRD * v[j]
            vol -= v[j]
        pv += (h[i] + lo[i] + c[i]) * THIRD * v[i]
        vol += v[i]
        if i >= n - 1:
            out[i] = pv / vol if vol > 0 else NAN


@njit(cache=True)
def volatility_into(c: np.ndarray, n: int, ddof: int, out: np.ndarray) -> None:
    """Sample (``ddof=1``) deviation of the last ``n`` log returns; first value at bar ``n``. The returns
    live in a ring buffer of ``n``; the sums are anchored and rebuilt every ``n`` returns (as in ``bbands_into``)."""
    size = c.size
    nan_prefix(out, n)
    if size <= n:
        return
    ring = np.empty(n)
    inv = 1.0 / n
    inv_dof = 1.0 / (n - ddof)
    pos = 0
    anchor = math.log(c[1] / c[0])
    s1 = 0.0
    s2 = 0.0
    rebuild = n
    for i in range(1, size):
        k = i - 1  # index of this return
        r = math.log(c[i] / c[i - 1])
        if k == rebuild:
            rebuild += n
            anchor = ring[pos - 1] if pos > 0 else ring[n - 1]
            s1 = 0.0
            s2 = 0.0
            for j in range(n):
                if j != pos:
                    y = ring[j] - anchor
                    s1 += y
                    s2 += y * y
        elif k >= n:
            y = ring[pos] - anchor
            s1 -= y
            s2 -= y * y
        ring[pos] = r
        pos = pos + 1 if pos + 1 < n else 0
        y = r - anchor
        s1 += y
        s2 += y * y
        if k >= n - 1:
            var = (s2 - s1 * (s1 * inv)) * inv_dof
            out[i] = math.sqrt(var) if var > 0 else 0.0


@njit(cache=True)
def recursive_into(
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    v: np.ndarray,
    n_fast: int,
    n_slow: int,
    n_rsi: int,
    n_atr: int,
    m_fast: int,
    m_slow: int,
    m_signal: int,
    n_dx: int,
    out: np.ndarray,
) -> None:
    """The set's recursive indicators in ONE loop over the bars, so their dependency chains overlap:
    EMA fast/slow, RSI, ATR, MACD (line, signal, hist), ADX/+DI/-DI and OBV into rows 0, 1, 3, 4, 9-14, 17
    of ``out`` (``indicator_set.ROWS`` order). Same arithmetic, seeds and order as the per-indicator kernels
    above (``ema_into``, ``rsi_into``, ``atr_into``, ``macd_into``, ``directional_into``, ``obv_into``)."""
    size = c.size
    if m_slow < m_fast:
        m_fast, m_slow = m_slow, m_fast
    first = m_slow + m_signal - 2
    nan_prefix(out[0], n_fast - 1)
    nan_prefix(out[1], n_slow - 1)
    nan_prefix(out[3], n_rsi)
    nan_prefix(out[4], n_atr)
    for r in (9, 10, 11):
        nan_prefix(out[r], first)
    nan_prefix(out[12], 2 * n_dx - 1)
    nan_prefix(out[13], n_dx)
    nan_prefix(out[14], n_dx)
    if size == 0:
        return
    k_fast, k_slow = 2.0 / (n_fast + 1), 2.0 / (n_slow + 1)
    km_fast, km_slow, km_sig = 2.0 / (m_fast + 1), 2.0 / (m_slow + 1), 2.0 / (m_signal + 1)
    inv_rsi, inv_atr = 1.0 / n_rsi, 1.0 / n_atr
    e_fast = e_slow = 0.0
    mf = ms = sig_total = sg = 0.0
    gain = loss = 0.0
    atr = 0.0
    pdm = mdm = tr_dx = sum_dx = adx = 0.0
    obv = v[0]
    out[17, 0] = obv
    for i in range(size):
        x = c[i]
        if i < n_fast:
            e_fast += x
            if i == n_fast - 1:
                e_fast /= n_fast
                out[0, i] = e_fast
        else:
            e_fast = (x - e_fast) * k_fast + e_fast
            out[0, i] = e_fast
        if i < n_slow:
            e_slow += x
            if i == n_slow - 1:
                e_slow /= n_slow
                out[1, i] = e_slow
        else:
            e_slow = (x - e_slow) * k_slow + e_slow
            out[1, i] = e_slow
        if i < m_slow:
            ms += x
            if i >= m_slow - m_fast:
                mf += x
            if i == m_slow - 1:
                mf /= m_fast
                ms /= m_slow
                sig_total = mf - ms
        else:
            mf = (x - mf) * km_fast + mf
            ms = (x - ms) * km_slow + ms
            if i <= first:
                sig_total += mf - ms
        if i == first:
            sg = sig_total / m_signal
            out[9, i] = mf - ms
            out[10, i] = sg
            out[11, i] = mf - ms - sg
        elif i > first:
            value = mf - ms
            sg = (value - sg) * km_sig + sg
            out[9, i] = value
            out[10, i] = sg
            out[11, i] = value - sg
        if i == 0:
            continue
        diff = x - c[i - 1]
        if i <= n_rsi:
            if diff < 0:
                loss -= diff
            else:
                gain += diff
            if i == n_rsi:
                gain *= inv_rsi
                loss *= inv_rsi
                total = gain + loss
                out[3, i] = 100.0 * (gain / total) if total != 0.0 else 0.0
        else:
            gain *= n_rsi - 1
            loss *= n_rsi - 1
            if diff < 0:
                loss -= diff
            else:
                gain += diff
            gain *= inv_rsi
            loss *= inv_rsi
            total = gain + loss
            out[3, i] = 100.0 * (gain / total) if total != 0.0 else 0.0
        tr = true_range_at(h, lo, c, i)
        if i <= n_atr:
            atr += tr
            if i == n_atr:
                atr /= n_atr
                out[4, i] = atr
        else:
            atr = (atr * (n_atr - 1) + tr) * inv_atr
            out[4, i] = atr
        if diff > 0:
            obv += v[i]
        elif diff < 0:
            obv -= v[i]
        out[17, i] = obv
        diff_p = h[i] - h[i - 1]
        diff_m = lo[i - 1] - lo[i]
        if i >= n_dx:
            pdm -= pdm / n_dx  # divisions, as in directional_into
            mdm -= mdm / n_dx
            tr_dx -= tr_dx / n_dx
        if diff_m > 0 and diff_p < diff_m:
            mdm += diff_m
        elif diff_p > 0 and diff_p > diff_m:
            pdm += diff_p
        tr_dx += tr
        if i < n_dx:
            continue
        p = 0.0
        m = 0.0
        dx = -1.0
        if not is_zero(tr_dx):
            p = 100.0 * (pdm / tr_dx)
            m = 100.0 * (mdm / tr_dx)
            total = m + p
            if not is_zero(total):
                dx = 100.0 * (abs(m - p) / total)
        out[13, i] = p
        out[14, i] = m
        if i < 2 * n_dx - 1:
            if dx >= 0:
                sum_dx += dx
        elif i == 2 * n_dx - 1:
            if dx >= 0:
                sum_dx += dx
            adx = sum_dx / n_dx
            out[12, i] = adx
        else:
            if dx >= 0:
                adx = (adx * (n_dx - 1) + dx) / n_dx
            out[12, i] = adx


# --- the indicator set of ``indicator_set`` (kept in this module: numba's on-disk cache of a function is not
# invalidated when a jitted function it calls changes in another module) ---------------------------------
@njit(cache=True)
def set_segment(o, h, lo, c, v, p, out, a, b):  # type: ignore[no-untyped-def]
    cs, hs, ls, vs = c[a:b], h[a:b], lo[a:b], v[a:b]
    rows = out[:, a:b]
    recursive_into(
        hs, ls, cs, vs, int(p[0]), int(p[1]), int(p[3]), int(p[4]), int(p[7]), int(p[8]), int(p[9]), int(p[10]), rows
    )
    sma_into(cs, int(p[2]), out[2, a:b])
    bbands_into(cs, int(p[5]), p[6], p[6], out[5, a:b], out[6, a:b], out[7, a:b], out[8, a:b])
    stoch_into(hs, ls, cs, int(p[11]), int(p[12]), int(p[13]), out[15, a:b], out[16, a:b])
    vwap_into(hs, ls, cs, vs, int(p[14]), out[18, a:b])
    donchian_into(hs, ls, int(p[15]), out[19, a:b], out[20, a:b])
    volatility_into(cs, int(p[16]), 1, out[21, a:b])


@njit(cache=True)
def set_symbol(o, h, lo, c, v, p, out, start, end):  # type: ignore[no-untyped-def]
    """Split one symbol at gap bars (any input NaN or a non-positive close) and compute each segment."""
    i = start
    while i < end:
        while i < end and not (c[i] > 0 and h[i] == h[i] and lo[i] == lo[i] and v[i] == v[i] and o[i] == o[i]):
            for r in range(out.shape[0]):
                out[r, i] = np.nan
            i += 1
        j = i
        while j < end and c[j] > 0 and h[j] == h[j] and lo[j] == lo[j] and v[j] == v[j] and o[j] == o[j]:
            j += 1
        if j > i:
            set_segment(o, h, lo, c, v, p, out, i, j)
        i = j


@njit(cache=True)
def set_serial(o, h, lo, c, v, offsets, p, out):  # type: ignore[no-untyped-def]
    for s in range(offsets.size - 1):
        set_symbol(o, h, lo, c, v, p, out, offsets[s], offsets[s + 1])


@njit(cache=True, parallel=True)
def set_parallel(o, h, lo, c, v, offsets, p, out):  # type: ignore[no-untyped-def]
    for s in prange(offsets.size - 1):
        set_symbol(o, h, lo, c, v, p, out, offsets[s], offsets[s + 1])
