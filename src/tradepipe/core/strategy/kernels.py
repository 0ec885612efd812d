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


@njit(cache=True)
def highest_into(x: np.ndarray, n: int, out: np.ndarray) -> None:
    """Rolling maximum over ``n`` bars (TA-Lib MAX), tracking the index of the current maximum."""
    nan_prefix(out, n - 1)
    best = -1
    for i in range(n - 1, x.size):
        start = i - n + 1
        if best < start:
            best = start
            for j in range(start + 1, i + 1):
                if x[j] >= x[best]:
                    best = j
        elif x[i] >= x[best]:
            best = i
        out[i] = x[best]


@njit(cache=True)
def lowest_into(x: np.ndarray, n: int, out: np.ndarray) -> None:
    """Rolling minimum over ``n`` bars (TA-Lib MIN)."""
    nan_prefix(out, n - 1)
    best = -1
    for i in range(n - 1, x.size):
        start = i - n + 1
        if best < start:
            best = start
            for j in range(start + 1, i + 1):
                if x[j] <= x[best]:
                    best = j
        elif x[i] <= x[best]:
            best = i
        out[i] = x[best]


@njit(cache=True)
def donchian_into(h: np.ndarray, lo: np.ndarray, n: int, upper: np.ndarray, lower: np.ndarray) -> None:
    """``highest_into`` of the highs and ``lowest_into`` of the lows in one loop."""
    nan_prefix(upper, n - 1)
    nan_prefix(lower, n - 1)
    hi = -1
    lw = -1
    for i in range(n - 1, h.size):
        start = i - n + 1
        if hi < start:
            hi = start
            for j in range(start + 1, i + 1):
                if h[j] >= h[hi]:
                    hi = j
        elif h[i] >= h[hi]:
            hi = i
        if lw < start:
            lw = start
            for j in range(start + 1, i + 1):
                if lo[j] <= lo[lw]:
                    lw = j
        elif lo[i] <= lo[lw]:
            lw = i
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
        start = i - fastk + 1
        if hi < start:
            hi = start
            for j in range(start + 1, i + 1):
                if h[j] >= h[hi]:
                    hi = j
        elif h[i] >= h[hi]:
            hi = i
        if lw < start:
            lw = start
            for j in range(start + 1, i + 1):
                if lo[j] <= lo[lw]:
                    lw = j
        elif lo[i] <= lo[lw]:
            lw = i
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


# --- time-major SIMD path: blocks of 32-128 gap-free symbols of one length, computed side by side -----------
# A block's inputs are transposed to ``x[t, s]`` (bars x symbols) and each indicator's state is a row of
# per-symbol values, so every ``for s in range(lanes)`` loop runs 8 symbols per AVX-512 (4 per AVX2) op (the
# recursion runs along t; the symbols are independent lanes). Per symbol the arithmetic is that of the
# per-segment kernels above, operation for operation, so the values are bit-identical to them. ``lanes`` is a
# runtime argument on purpose: a constant trip count gets fully unrolled into scalar code instead.
WIDEST = 128  # lanes of the widest block (short loops of 32 lanes pay loop overhead per indicator and bar)
MIN_LANES = 32  # narrower blocks do not vectorise (LLVM runs 8 lanes x 4 interleaved per iteration)
TILE = 32  # outputs go through a (22, TILE, lanes) tile copied to the symbol-major ``out`` every TILE bars
MAX_WINDOW = 64  # Donchian / stoch windows are rescanned per bar here; longer ones take the per-segment path


@njit(cache=True)
def block_eligible(o, h, lo, c, v, a, size, lanes, p):  # type: ignore[no-untyped-def]
    """True if the ``lanes`` symbols of ``size`` bars from row ``a`` have no gap bar and are long enough."""
    longest = 0.0
    for k in range(17):
        if k != 6 and p[k] > longest:
            longest = p[k]
    if size < 2 * longest + 8 or p[11] > MAX_WINDOW or p[15] > MAX_WINDOW or p[8] < p[7]:
        return False
    for i in range(a, a + lanes * size):
        if not (c[i] > 0 and h[i] == h[i] and lo[i] == lo[i] and v[i] == v[i] and o[i] == o[i]):
            return False
    return True


@njit(cache=True, error_model="numpy")
def set_block(o, h, lo, c, v, p, out, a, size, lanes):  # type: ignore[no-untyped-def]  # noqa: C901
    """The whole set for ``lanes`` gap-free symbols of ``size`` bars each (symbol ``s`` at ``a + s * size``),
    reproducing ``set_segment``'s arithmetic per symbol (checked bit for bit by the tests)."""
    L = lanes
    n_fast, n_slow, n_sma, n_rsi, n_atr = int(p[0]), int(p[1]), int(p[2]), int(p[3]), int(p[4])
    n_bb, dev = int(p[5]), p[6]
    m_fast, m_slow, m_signal, n_dx = int(p[7]), int(p[8]), int(p[9]), int(p[10])
    fastk, slowk, slowd, n_vw, n_dc, n_vol = int(p[11]), int(p[12]), int(p[13]), int(p[14]), int(p[15]), int(p[16])
    first = m_slow + m_signal - 2
    look = max(n_sma, n_bb, n_vw, n_dc, fastk, n_vol + 1) + TILE + 2
    rows = 1
    while rows < look:
        rows *= 2
    mask = rows - 1  # the transposed inputs are rings of ``rows`` bars: bar t at row ``t & mask``
    xh = np.empty((rows, L))
    xl = np.empty((rows, L))
    xc = np.empty((rows, L))
    xv = np.empty((rows, L))
    xr = np.empty((rows, L))  # log return of bar t at row t - 1, as ``volatility_into`` indexes them
    st = np.zeros((26, L))  # per-symbol state, one row per quantity
    E_FAST, E_SLOW, MF, MS, SIG, GAIN, LOSS, ATR, PDM, MDM, TRDX, SUMDX, ADX, OBV = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13
    SMA, BB_TOT, BB_A, BB_S1, BB_S2, VW_PV, VW_V, VOL_A, VOL_S1, VOL_S2, K_TOT, D_TOT = 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25
    tmp = np.empty((4, L))
    ring_k = np.zeros((slowk, L))
    ring_d = np.zeros((slowd, L))
    tile = np.empty((22, TILE, L))
    k_fast, k_slow = 2.0 / (n_fast + 1), 2.0 / (n_slow + 1)
    km_fast, km_slow, km_sig = 2.0 / (m_fast + 1), 2.0 / (m_slow + 1), 2.0 / (m_signal + 1)
    inv_rsi, inv_atr, inv_bb = 1.0 / n_rsi, 1.0 / n_atr, 1.0 / n_bb
    inv_k, inv_d = 1.0 / slowk, 1.0 / slowd
    inv_vol, inv_dof = 1.0 / n_vol, 1.0 / (n_vol - 1)
    warm = max(n_fast, n_slow, n_sma, n_rsi + 1, n_atr + 1, n_bb, first + 1, 2 * n_dx, n_vw, n_dc, n_vol + 1)
    warm = max(warm, fastk + slowk + slowd - 2)
    bb_rebuild, vw_rebuild, vol_rebuild = n_bb, n_vw, n_vol
    pos_k = 0
    pos_d = 0
    for t0 in range(0, size, TILE):
        t1 = min(t0 + TILE, size)
        for s in range(L):  # transpose this tile's bars (the ring keeps the windows' look-back)
            base = a + s * size
            for t in range(t0, t1):
                xh[(t) & mask, s] = h[base + t]
                xl[(t) & mask, s] = lo[base + t]
                xc[(t) & mask, s] = c[base + t]
                xv[(t) & mask, s] = v[base + t]
            for t in range(max(t0, 1), t1):
                xr[(t - 1) & mask, s] = math.log(c[base + t] / c[base + t - 1])
        if t0 == 0:
            for s in range(L):
                st[BB_A, s] = xc[(0) & mask, s]
                st[VOL_A, s] = xr[(0) & mask, s]
                st[OBV, s] = xv[(0) & mask, s]
        if t0 < warm:
            tile[:] = NAN
        for t in range(t0, t1):
            q = t - t0
            # EMA fast / slow
            if t < n_fast:
                for s in range(L):
                    st[E_FAST, s] += xc[(t) & mask, s]
                if t == n_fast - 1:
                    for s in range(L):
                        st[E_FAST, s] /= n_fast
                        tile[0, q, s] = st[E_FAST, s]
            else:
                for s in range(L):
                    e = (xc[(t) & mask, s] - st[E_FAST, s]) * k_fast + st[E_FAST, s]
                    st[E_FAST, s] = e
                    tile[0, q, s] = e
            if t < n_slow:
                for s in range(L):
                    st[E_SLOW, s] += xc[(t) & mask, s]
                if t == n_slow - 1:
                    for s in range(L):
                        st[E_SLOW, s] /= n_slow
                        tile[1, q, s] = st[E_SLOW, s]
            else:
                for s in range(L):
                    e = (xc[(t) & mask, s] - st[E_SLOW, s]) * k_slow + st[E_SLOW, s]
                    st[E_SLOW, s] = e
                    tile[1, q, s] = e
            # MACD
            if t < m_slow:
                for s in range(L):
                    st[MS, s] += xc[(t) & mask, s]
                if t >= m_slow - m_fast:
                    for s in range(L):
                        st[MF, s] += xc[(t) & mask, s]
                if t == m_slow - 1:
                    for s in range(L):
                        st[MF, s] /= m_fast
                        st[MS, s] /= m_slow
                        st[SIG, s] = st[MF, s] - st[MS, s]
            else:
                for s in range(L):
                    st[MF, s] = (xc[(t) & mask, s] - st[MF, s]) * km_fast + st[MF, s]
                    st[MS, s] = (xc[(t) & mask, s] - st[MS, s]) * km_slow + st[MS, s]
                if t <= first:
                    for s in range(L):
                        st[SIG, s] += st[MF, s] - st[MS, s]
            if t == first:
                for s in range(L):
                    sg = st[SIG, s] / m_signal
                    st[SIG, s] = sg
                    value = st[MF, s] - st[MS, s]
                    tile[9, q, s] = value
                    tile[10, q, s] = sg
                    tile[11, q, s] = value - sg
            elif t > first:
                for s in range(L):
                    value = st[MF, s] - st[MS, s]
                    sg = (value - st[SIG, s]) * km_sig + st[SIG, s]
                    st[SIG, s] = sg
                    tile[9, q, s] = value
                    tile[10, q, s] = sg
                    tile[11, q, s] = value - sg
            # SMA
            for s in range(L):
                st[SMA, s] += xc[(t) & mask, s]
            if t >= n_sma - 1:
                for s in range(L):
                    tile[2, q, s] = st[SMA, s] / n_sma
                    st[SMA, s] -= xc[(t - n_sma + 1) & mask, s]
            # Bollinger bands and z-score (anchored sums rebuilt every n_bb bars, as ``bbands_into``)
            if t == bb_rebuild:
                bb_rebuild += n_bb
                for s in range(L):
                    st[BB_A, s] = xc[(t - 1) & mask, s]
                    st[BB_S1, s] = 0.0
                    st[BB_S2, s] = 0.0
                for j in range(t - n_bb + 1, t):
                    for s in range(L):
                        y = xc[(j) & mask, s] - st[BB_A, s]
                        st[BB_S1, s] += y
                        st[BB_S2, s] += y * y
            elif t >= n_bb:
                for s in range(L):
                    y = xc[(t - n_bb) & mask, s] - st[BB_A, s]
                    st[BB_S1, s] -= y
                    st[BB_S2, s] -= y * y
            for s in range(L):
                y = xc[(t) & mask, s] - st[BB_A, s]
                st[BB_S1, s] += y
                st[BB_S2, s] += y * y
                st[BB_TOT, s] += xc[(t) & mask, s]
            if t >= n_bb - 1:
                for s in range(L):
                    mid = st[BB_TOT, s] / n_bb
                    st[BB_TOT, s] -= xc[(t - n_bb + 1) & mask, s]
                    s1 = st[BB_S1, s]
                    var = (st[BB_S2, s] - s1 * (s1 * inv_bb)) * inv_bb
                    sd = math.sqrt(var) if var > 0 else 0.0
                    tile[6, q, s] = mid
                    tile[5, q, s] = mid + dev * sd
                    tile[7, q, s] = mid - dev * sd
                    tile[8, q, s] = (xc[(t) & mask, s] - mid) / sd if sd > 0 else 0.0
            # VWAP
            if t == vw_rebuild:
                vw_rebuild += n_vw
                for s in range(L):
                    st[VW_PV, s] = 0.0
                    st[VW_V, s] = 0.0
                for j in range(t - n_vw + 1, t):
                    for s in range(L):
                        st[VW_PV, s] += (xh[(j) & mask, s] + xl[(j) & mask, s] + xc[(j) & mask, s]) * THIRD * xv[(j) & mask, s]
                        st[VW_V, s] += xv[(j) & mask, s]
            elif t >= n_vw:
                j = t - n_vw
                for s in range(L):
                    st[VW_PV, s] -= (xh[(j) & mask, s] + xl[(j) & mask, s] + xc[(j) & mask, s]) * THIRD * xv[(j) & mask, s]
                    st[VW_V, s] -= xv[(j) & mask, s]
            for s in range(L):
                st[VW_PV, s] += (xh[(t) & mask, s] + xl[(t) & mask, s] + xc[(t) & mask, s]) * THIRD * xv[(t) & mask, s]
                st[VW_V, s] += xv[(t) & mask, s]
            if t >= n_vw - 1:
                for s in range(L):
                    vol = st[VW_V, s]
                    tile[18, q, s] = st[VW_PV, s] / vol if vol > 0 else NAN
            # Donchian (window rescanned: max/min are exact, so the values equal the index-tracking kernel's)
            if t >= n_dc - 1:
                for s in range(L):
                    tmp[0, s] = xh[(t - n_dc + 1) & mask, s]
                    tmp[1, s] = xl[(t - n_dc + 1) & mask, s]
                for j in range(t - n_dc + 2, t + 1):
                    for s in range(L):
                        hj = xh[(j) & mask, s]
                        lj = xl[(j) & mask, s]
                        tmp[0, s] = hj if hj >= tmp[0, s] else tmp[0, s]
                        tmp[1, s] = lj if lj <= tmp[1, s] else tmp[1, s]
                for s in range(L):
                    tile[19, q, s] = tmp[0, s]
                    tile[20, q, s] = tmp[1, s]
            # stochastic
            if t >= fastk - 1:
                n_fast_k = t - fastk + 2
                n_slow_k = n_fast_k - slowk + 1
                for s in range(L):
                    tmp[0, s] = xh[(t - fastk + 1) & mask, s]
                    tmp[1, s] = xl[(t - fastk + 1) & mask, s]
                for j in range(t - fastk + 2, t + 1):
                    for s in range(L):
                        hj = xh[(j) & mask, s]
                        lj = xl[(j) & mask, s]
                        tmp[0, s] = hj if hj >= tmp[0, s] else tmp[0, s]
                        tmp[1, s] = lj if lj <= tmp[1, s] else tmp[1, s]
                drop_k = n_fast_k > slowk
                for s in range(L):
                    diff = tmp[0, s] - tmp[1, s]
                    fast = 100.0 * (xc[(t) & mask, s] - tmp[1, s]) / diff
                    fast = fast if diff != 0.0 else 0.0
                    total_k = st[K_TOT, s]
                    total_k = total_k - ring_k[pos_k, s] if drop_k else total_k
                    st[K_TOT, s] = total_k + fast
                    ring_k[pos_k, s] = fast
                pos_k = pos_k + 1 if pos_k + 1 < slowk else 0
                if n_fast_k >= slowk:
                    drop_d = n_slow_k > slowd
                    for s in range(L):
                        slow = st[K_TOT, s] * inv_k
                        total_d = st[D_TOT, s]
                        total_d = total_d - ring_d[pos_d, s] if drop_d else total_d
                        total_d += slow
                        st[D_TOT, s] = total_d
                        ring_d[pos_d, s] = slow
                        tmp[2, s] = slow
                    pos_d = pos_d + 1 if pos_d + 1 < slowd else 0
                    if n_slow_k >= slowd:
                        for s in range(L):
                            tile[15, q, s] = tmp[2, s]
                            tile[16, q, s] = st[D_TOT, s] * inv_d
            if t == 0:
                for s in range(L):
                    tile[17, q, s] = st[OBV, s]
                continue
            # volatility of log returns (return k = t - 1), as ``volatility_into``
            k = t - 1
            if k == vol_rebuild:
                vol_rebuild += n_vol
                for s in range(L):
                    st[VOL_A, s] = xr[(k - 1) & mask, s]
                    st[VOL_S1, s] = 0.0
                    st[VOL_S2, s] = 0.0
                for j in range(k - n_vol + 1, k):
                    for s in range(L):
                        y = xr[(j) & mask, s] - st[VOL_A, s]
                        st[VOL_S1, s] += y
                        st[VOL_S2, s] += y * y
            elif k >= n_vol:
                for s in range(L):
                    y = xr[(k - n_vol) & mask, s] - st[VOL_A, s]
                    st[VOL_S1, s] -= y
                    st[VOL_S2, s] -= y * y
            for s in range(L):
                y = xr[(k) & mask, s] - st[VOL_A, s]
                st[VOL_S1, s] += y
                st[VOL_S2, s] += y * y
            if k >= n_vol - 1:
                for s in range(L):
                    s1 = st[VOL_S1, s]
                    var = (st[VOL_S2, s] - s1 * (s1 * inv_vol)) * inv_dof
                    tile[21, q, s] = math.sqrt(var) if var > 0 else 0.0
            # RSI
            if t <= n_rsi:
                for s in range(L):
                    diff = xc[(t) & mask, s] - xc[(t - 1) & mask, s]
                    st[LOSS, s] = st[LOSS, s] - diff if diff < 0 else st[LOSS, s]
                    st[GAIN, s] = st[GAIN, s] if diff < 0 else st[GAIN, s] + diff
                if t == n_rsi:
                    for s in range(L):
                        gain = st[GAIN, s] * inv_rsi
                        loss = st[LOSS, s] * inv_rsi
                        st[GAIN, s] = gain
                        st[LOSS, s] = loss
                        total = gain + loss
                        tile[3, q, s] = 100.0 * (gain / total) if total != 0.0 else 0.0
            else:
                for s in range(L):
                    diff = xc[(t) & mask, s] - xc[(t - 1) & mask, s]
                    gain = st[GAIN, s] * (n_rsi - 1)
                    loss = st[LOSS, s] * (n_rsi - 1)
                    loss = loss - diff if diff < 0 else loss
                    gain = gain if diff < 0 else gain + diff
                    gain *= inv_rsi
                    loss *= inv_rsi
                    st[GAIN, s] = gain
                    st[LOSS, s] = loss
                    total = gain + loss
                    tile[3, q, s] = 100.0 * (gain / total) if total != 0.0 else 0.0
            # OBV and the true range
            for s in range(L):
                diff = xc[(t) & mask, s] - xc[(t - 1) & mask, s]
                obv = st[OBV, s]
                obv = obv + xv[(t) & mask, s] if diff > 0 else (obv - xv[(t) & mask, s] if diff < 0 else obv)
                st[OBV, s] = obv
                tile[17, q, s] = obv
                prev = xc[(t - 1) & mask, s]
                hh = xh[(t) & mask, s]
                ll = xl[(t) & mask, s]
                tmp[3, s] = (hh if hh > prev else prev) - (ll if ll < prev else prev)
            # ATR
            if t <= n_atr:
                for s in range(L):
                    st[ATR, s] += tmp[3, s]
                if t == n_atr:
                    for s in range(L):
                        st[ATR, s] /= n_atr
                        tile[4, q, s] = st[ATR, s]
            else:
                for s in range(L):
                    atr = (st[ATR, s] * (n_atr - 1) + tmp[3, s]) * inv_atr
                    st[ATR, s] = atr
                    tile[4, q, s] = atr
            # +DM / -DM / TR sums (divisions as TA-Lib), then +DI, -DI, DX and ADX
            decay = t >= n_dx
            for s in range(L):
                diff_p = xh[(t) & mask, s] - xh[(t - 1) & mask, s]
                diff_m = xl[(t - 1) & mask, s] - xl[(t) & mask, s]
                pdm = st[PDM, s]
                mdm = st[MDM, s]
                tr_dx = st[TRDX, s]
                pdm = pdm - pdm / n_dx if decay else pdm
                mdm = mdm - mdm / n_dx if decay else mdm
                tr_dx = tr_dx - tr_dx / n_dx if decay else tr_dx
                minus = diff_m > 0 and diff_p < diff_m
                plus = diff_p > 0 and diff_p > diff_m
                st[MDM, s] = mdm + diff_m if minus else mdm
                st[PDM, s] = pdm + diff_p if plus and not minus else pdm
                st[TRDX, s] = tr_dx + tmp[3, s]
            if decay:
                sum_phase = t <= 2 * n_dx - 1
                seed = t == 2 * n_dx - 1
                show = t >= 2 * n_dx - 1
                for s in range(L):
                    tr_dx = st[TRDX, s]
                    flat = -1e-14 < tr_dx < 1e-14
                    pp = 100.0 * (st[PDM, s] / tr_dx)
                    mm = 100.0 * (st[MDM, s] / tr_dx)
                    pp = 0.0 if flat else pp
                    mm = 0.0 if flat else mm
                    total = mm + pp
                    dx = 100.0 * (abs(mm - pp) / total)
                    dx = -1.0 if flat or -1e-14 < total < 1e-14 else dx
                    tile[13, q, s] = pp
                    tile[14, q, s] = mm
                    sum_dx = st[SUMDX, s]
                    sum_dx = sum_dx + dx if sum_phase and dx >= 0 else sum_dx
                    st[SUMDX, s] = sum_dx
                    adx = st[ADX, s]
                    smoothed = (adx * (n_dx - 1) + dx) / n_dx
                    adx = sum_dx / n_dx if seed else (smoothed if dx >= 0 else adx)
                    st[ADX, s] = adx
                    tile[12, q, s] = adx if show else NAN
        for r in range(22):
            row = out[r]
            for s in range(L):
                dst = a + s * size + t0
                for t in range(t1 - t0):
                    row[dst + t] = tile[r, t, s]


@njit(cache=True)
def plan(o, h, lo, c, v, offsets, p, widest):  # type: ignore[no-untyped-def]
    """Split the symbols into tasks: ``(first symbol, lanes)`` for a SIMD block of ``lanes`` gap-free symbols of
    one length (the widest of ``widest``, ``widest/2``, ... ``MIN_LANES`` that fits), ``lanes == 0`` for one
    symbol on the per-segment path."""
    n = offsets.size - 1
    starts = np.empty(n, dtype=np.int64)
    widths = np.empty(n, dtype=np.int64)
    m = 0
    s = 0
    while s < n:
        chosen = 0
        w = widest
        while w >= MIN_LANES and chosen == 0:
            if s + w <= n:
                size = offsets[s + 1] - offsets[s]
                same = True
                for j in range(s + 1, s + w + 1):
                    if offsets[j] - offsets[j - 1] != size:
                        same = False
                        break
                if same and block_eligible(o, h, lo, c, v, offsets[s], size, w, p):
                    chosen = w
            w //= 2
        starts[m] = s
        widths[m] = chosen
        m += 1
        s += chosen if chosen > 0 else 1
    return starts[:m], widths[:m]


@njit(cache=True)
def run_task(o, h, lo, c, v, offsets, p, out, s, lanes):  # type: ignore[no-untyped-def]
    if lanes > 0:
        set_block(o, h, lo, c, v, p, out, offsets[s], offsets[s + 1] - offsets[s], lanes)
    else:
        set_symbol(o, h, lo, c, v, p, out, offsets[s], offsets[s + 1])


@njit(cache=True)
def set_serial(o, h, lo, c, v, offsets, p, out, widest=WIDEST):  # type: ignore[no-untyped-def]
    starts, widths = plan(o, h, lo, c, v, offsets, p, widest)
    for k in range(starts.size):
        run_task(o, h, lo, c, v, offsets, p, out, starts[k], widths[k])


@njit(cache=True, parallel=True)
def set_parallel(o, h, lo, c, v, offsets, p, out, widest=WIDEST):  # type: ignore[no-untyped-def]
    starts, widths = plan(o, h, lo, c, v, offsets, p, widest)
    for k in prange(starts.size):
        run_task(o, h, lo, c, v, offsets, p, out, starts[k], widths[k])
