"""Regenerate binance.json and kraken.json: small hand-written recordings in each venue's documented REST shapes.

Not captured from a live venue (tests are offline): bodies follow Binance Spot API (/api/v3/exchangeInfo, /klines,
/ticker/24hr, /depth, /order, /account, /myTrades, /openOrders) and Kraken REST (/0/public/AssetPairs, /OHLC,
/Ticker, /Depth, /0/private/AddOrder, /QueryOrders, /Balance, /OpenOrders, /ClosedOrders, /TradesHistory) as
documented, trimmed to three pairs. Run ``python tests/data/ccxt/build_recordings.py`` after editing.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

HERE = Path(__file__).parent
T0 = 1_735_689_600_000  # 2025-01-01T00:00:00Z
HOUR = 3_600_000
BARS = 12
SERVER_NOW = T0 + BARS * HOUR + 1_800_000  # mid-bar after the 12th closed bar
BASE = {"BTC": 94_000.0, "ETH": 3_400.0, "SOL": 190.0}


def bars(base: str) -> list[tuple[int, float, float, float, float, float]]:
    out = []
    price = BASE[base]
    for i in range(BARS):
        o = price
        c = round(o * (1 + 0.004 * math.sin(i + len(base))), 2)
        h, lo = round(max(o, c) * 1.002, 2), round(min(o, c) * 0.998, 2)
        out.append((T0 + i * HOUR, o, h, lo, c, round(10 + 3 * math.cos(i), 4)))
        price = c
    return out


def f8(x: float) -> str:
    return f"{x:.8f}"


# --- binance ----------------------------------------------------------------------------------------------
def binance_symbol(base: str, tick: str, step: str, status: str = "TRADING") -> dict:
    return {
        "symbol": f"{base}USDT",
        "status": status,
        "baseAsset": base,
        "baseAssetPrecision": 8,
        "quoteAsset": "USDT",
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "otoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": True,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000.00000000", "tickSize": tick},
            {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "9000.00000000", "stepSize": step},
            {"filterType": "ICEBERG_PARTS", "limit": 10},
            {"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000", "maxQty": "100.00000000", "stepSize": "0"},
            {
                "filterType": "TRAILING_DELTA",
                "minTrailingAboveDelta": 10,
                "maxTrailingAboveDelta": 2000,
                "minTrailingBelowDelta": 10,
                "maxTrailingBelowDelta": 2000,
            },
            {
                "filterType": "PERCENT_PRICE_BY_SIDE",
                "bidMultiplierUp": "5",
                "bidMultiplierDown": "0.2",
                "askMultiplierUp": "5",
                "askMultiplierDown": "0.2",
                "avgPriceMins": 5,
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": "5.00000000",
                "applyMinToMarket": True,
                "maxNotional": "9000000.00000000",
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
        ],
        "permissions": [],
        "permissionSets": [["SPOT", "MARGIN"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


def binance_kline(row: tuple) -> list:
    t, o, h, lo, c, v = row
    return [t, f8(o), f8(h), f8(lo), f8(c), f8(v), t + HOUR - 1, f8(v * c), 1200, f8(v / 2), f8(v * c / 2), "0"]


def binance_ticker(base: str) -> dict:
    rows = bars(base)
    last, first = rows[-1][4], rows[0][1]
    vol = sum(r[5] for r in rows) * 40
    return {
        "symbol": f"{base}USDT",
        "priceChange": f8(last - first),
        "priceChangePercent": f"{(last / first - 1) * 100:.3f}",
        "weightedAvgPrice": f8(last),
        "prevClosePrice": f8(rows[-2][4]),
        "lastPrice": f8(last),
        "lastQty": "0.01000000",
        "bidPrice": f8(last - 0.01),
        "bidQty": "1.50000000",
        "askPrice": f8(last + 0.01),
        "askQty": "2.00000000",
        "openPrice": f8(first),
        "highPrice": f8(max(r[2] for r in rows)),
        "lowPrice": f8(min(r[3] for r in rows)),
        "volume": f8(vol),
        "quoteVolume": f8(vol * last),
        "openTime": SERVER_NOW - 86_400_000,
        "closeTime": SERVER_NOW,
        "firstId": 4_000_000,
        "lastId": 4_100_000,
        "count": 100_001,
    }


def binance() -> dict:
    eth = bars("ETH")[-1][4]
    fill_price = round(eth + 0.01, 2)
    order = {
        "symbol": "ETHUSDT",
        "orderId": 28457,
        "orderListId": -1,
        "clientOrderId": "contract-1",
        "transactTime": SERVER_NOW,
        "price": "0.00000000",
        "origQty": "0.50000000",
        "executedQty": "0.50000000",
        "origQuoteOrderQty": "0.00000000",
        "cummulativeQuoteQty": f8(0.5 * fill_price),
        "status": "FILLED",
        "timeInForce": "GTC",
        "type": "MARKET",
        "side": "BUY",
        "workingTime": SERVER_NOW,
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }
    created = {
        **order,
        "fills": [
            {
                "price": f8(fill_price),
                "qty": "0.50000000",
                "commission": f8(0.5 * fill_price * 0.001),
                "commissionAsset": "USDT",
                "tradeId": 991,
            }
        ],
    }
    queried = {k: v for k, v in order.items() if k != "transactTime"} | {
        "stopPrice": "0.00000000",
        "icebergQty": "0.00000000",
        "time": SERVER_NOW,
        "updateTime": SERVER_NOW,
        "isWorking": True,
        "origQuoteOrderQty": "0.00000000",
    }
    trade = {
        "symbol": "ETHUSDT",
        "id": 991,
        "orderId": 28457,
        "orderListId": -1,
        "price": f8(fill_price),
        "qty": "0.50000000",
        "quoteQty": f8(0.5 * fill_price),
        "commission": f8(0.5 * fill_price * 0.001),
        "commissionAsset": "USDT",
        "time": SERVER_NOW,
        "isBuyer": True,
        "isMaker": False,
        "isBestMatch": True,
    }
    klines = {b: [binance_kline(r) for r in bars(b)] for b in BASE}
    responses = [
        {
            "method": "GET",
            "path": "/api/v3/exchangeInfo",
            "body": {
                "timezone": "UTC",
                "serverTime": SERVER_NOW,
                "rateLimits": [
                    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
                    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
                ],
                "exchangeFilters": [],
                "symbols": [
                    binance_symbol("BTC", "0.01000000", "0.00001000"),
                    binance_symbol("ETH", "0.01000000", "0.00010000"),
                    binance_symbol("SOL", "0.01000000", "0.00100000"),
                    binance_symbol("LUNA", "0.00010000", "0.01000000", status="BREAK"),
                ],
            },
        },
        {"method": "GET", "path": "/api/v3/ticker/24hr", "body": [binance_ticker(b) for b in BASE]},
        {
            "method": "GET",
            "path": "/api/v3/ticker/24hr",
            "query": {"symbols": '["ETHUSDT"]'},
            "body": [binance_ticker("ETH")],
        },
        {
            "method": "GET",
            "path": "/api/v3/depth",
            "body": {
                "lastUpdateId": 1027024,
                "bids": [[f8(eth - 0.01 * (i + 1)), f8(1 + i)] for i in range(6)],
                "asks": [[f8(eth + 0.01 * (i + 1)), f8(1 + i)] for i in range(6)],
            },
        },
        {"method": "POST", "path": "/api/v3/order", "query": {"symbol": "ETHUSDT", "quantity": "0.5"}, "body": created},
        {
            "method": "POST",
            "path": "/api/v3/order",
            "query": {"symbol": "BTCUSDT", "quantity": "100"},
            "status": 400,
            "body": {"code": -2010, "msg": "Account has insufficient balance for requested action."},
        },
        {"method": "GET", "path": "/api/v3/order", "query": {"orderId": "28457"}, "body": queried},
        {"method": "GET", "path": "/api/v3/order", "query": {"origClientOrderId": "contract-1"}, "body": queried},
        {
            "method": "GET",
            "path": "/api/v3/order",
            "query": {"origClientOrderId": "never-sent"},
            "status": 400,
            "body": {"code": -2013, "msg": "Order does not exist."},
        },
        {"method": "GET", "path": "/api/v3/openOrders", "body": []},
        {"method": "GET", "path": "/api/v3/myTrades", "query": {"symbol": "ETHUSDT"}, "body": [trade]},
        {
            "method": "GET",
            "path": "/api/v3/account",
            "body": {
                "makerCommission": 10,
                "takerCommission": 10,
                "buyerCommission": 0,
                "sellerCommission": 0,
                "commissionRates": {
                    "maker": "0.00100000",
                    "taker": "0.00100000",
                    "buyer": "0.00000000",
                    "seller": "0.00000000",
                },
                "canTrade": True,
                "canWithdraw": True,
                "canDeposit": True,
                "brokered": False,
                "requireSelfTradePrevention": False,
                "preventSor": False,
                "updateTime": SERVER_NOW,
                "accountType": "SPOT",
                "balances": [
                    {"asset": "USDT", "free": f8(10_000 - 0.5 * fill_price * 1.001), "locked": "0.00000000"},
                    {"asset": "ETH", "free": "0.50000000", "locked": "0.00000000"},
                    {"asset": "BTC", "free": "0.00000000", "locked": "0.00000000"},
                ],
                "permissions": ["SPOT"],
                "uid": 354937868,
            },
        },
    ]
    for b, rows in klines.items():
        sym = f"{b}USDT"
        responses.append({"method": "GET", "path": "/api/v3/klines", "query": {"symbol": sym}, "body": rows[-5:]})
        for start in (0, 5, 10, BARS):
            since = T0 + start * HOUR
            responses.append(
                {
                    "method": "GET",
                    "path": "/api/v3/klines",
                    "query": {"symbol": sym, "startTime": str(since)},
                    "body": rows[start : start + 5],
                }
            )
    return {"exchange": "binance", "server_now_ms": SERVER_NOW, "responses": responses}


# --- kraken -----------------------------------------------------------------------------------------------
KRAKEN_PAIRS = {  # ccxt symbol base → (pair key, altname, base asset, tick, lot decimals, ordermin)
    "BTC": ("XBTUSDT", "XBTUSDT", "XXBT", "0.1", 8, "0.00005"),
    "ETH": ("ETHUSDT", "ETHUSDT", "XETH", "0.01", 8, "0.002"),
    "SOL": ("SOLUSDT", "SOLUSDT", "SOL", "0.01", 8, "0.02"),
}


def kraken_pair(base: str) -> dict:
    _key, alt, asset, tick, lot, ordermin = KRAKEN_PAIRS[base]
    return {
        "altname": alt,
        "wsname": f"{'XBT' if base == 'BTC' else base}/USDT",
        "aclass_base": "currency",
        "base": asset,
        "aclass_quote": "currency",
        "quote": "USDT",
        "lot": "unit",
        "cost_decimals": 5,
        "pair_decimals": len(tick.split(".")[1]),
        "lot_decimals": lot,
        "lot_multiplier": 1,
        "leverage_buy": [2, 3],
        "leverage_sell": [2, 3],
        "fees": [[0, 0.4], [10000, 0.35], [50000, 0.24]],
        "fees_maker": [[0, 0.25], [10000, 0.2], [50000, 0.14]],
        "fee_volume_currency": "ZUSD",
        "margin_call": 80,
        "margin_stop": 40,
        "ordermin": ordermin,
        "costmin": "0.5",
        "tick_size": tick,
        "status": "online",
        "long_position_limit": 250,
        "short_position_limit": 200,
    }


def kraken_ticker(base: str) -> dict:
    rows = bars(base)
    last = rows[-1][4]
    vol = sum(r[5] for r in rows) * 20
    return {
        "a": [f"{last + 0.1:.5f}", "1", "1.000"],
        "b": [f"{last - 0.1:.5f}", "2", "2.000"],
        "c": [f"{last:.5f}", "0.01000000"],
        "v": [f"{vol / 2:.8f}", f"{vol:.8f}"],
        "p": [f"{last:.5f}", f"{last:.5f}"],
        "t": [3000, 6100],
        "l": [f"{min(r[3] for r in rows):.5f}"] * 2,
        "h": [f"{max(r[2] for r in rows):.5f}"] * 2,
        "o": f"{rows[0][1]:.5f}",
    }


def kraken() -> dict:
    eth = bars("ETH")[-1][4]
    fill = round(eth + 0.1, 2)
    order = {
        "refid": None,
        "userref": 0,
        "cl_ord_id": "contract-1",
        "status": "closed",
        "opentm": SERVER_NOW / 1000,
        "starttm": 0,
        "expiretm": 0,
        "descr": {
            "pair": "ETHUSDT",
            "type": "buy",
            "ordertype": "market",
            "price": "0",
            "price2": "0",
            "leverage": "none",
            "order": "buy 0.50000000 ETHUSDT @ market",
            "close": "",
        },
        "vol": "0.50000000",
        "vol_exec": "0.50000000",
        "cost": f"{0.5 * fill:.5f}",
        "fee": f"{0.5 * fill * 0.004:.5f}",
        "price": f"{fill:.2f}",
        "stopprice": "0.00000",
        "limitprice": "0.00000",
        "misc": "",
        "oflags": "fciq",
        "trades": ["TCCCTY-WE7UY-RBZJZB"],
        "closetm": SERVER_NOW / 1000,
    }
    trade = {
        "ordertxid": "OUF4EM-FRGI2-MQMWZD",
        "postxid": "TKH2SE-M7IF5-CFI7LT",
        "pair": "ETHUSDT",
        "time": SERVER_NOW / 1000,
        "type": "buy",
        "ordertype": "market",
        "price": f"{fill:.2f}",
        "cost": f"{0.5 * fill:.5f}",
        "fee": f"{0.5 * fill * 0.004:.5f}",
        "vol": "0.50000000",
        "margin": "0.00000",
        "leverage": "0",
        "misc": "",
        "trade_id": 40274859,
        "maker": False,
    }
    ok = lambda result: {"error": [], "result": result}  # noqa: E731
    responses = [
        {
            "method": "GET",
            "path": "/0/public/AssetPairs",
            "body": ok({KRAKEN_PAIRS[b][0]: kraken_pair(b) for b in BASE}),
        },
        {
            "method": "GET",
            "path": "/0/public/Assets",
            "body": ok(
                {
                    asset: {
                        "aclass": "currency",
                        "altname": alt,
                        "decimals": 10,
                        "display_decimals": 5,
                        "collateral_value": 1,
                        "status": "enabled",
                    }
                    for asset, alt in (
                        ("XXBT", "XBT"),
                        ("XETH", "ETH"),
                        ("SOL", "SOL"),
                        ("USDT", "USDT"),
                        ("ZUSD", "USD"),
                    )
                }
            ),
        },
        {"method": "GET", "path": "/0/public/Ticker", "body": ok({KRAKEN_PAIRS[b][0]: kraken_ticker(b) for b in BASE})},
        {
            "method": "GET",
            "path": "/0/public/Ticker",
            "query": {"pair": "ETHUSDT"},
            "body": ok({"ETHUSDT": kraken_ticker("ETH")}),
        },
        {
            "method": "GET",
            "path": "/0/public/Depth",
            "body": ok(
                {
                    "ETHUSDT": {
                        "asks": [[f"{eth + 0.1 * (i + 1):.2f}", f"{1 + i:.3f}", SERVER_NOW // 1000] for i in range(6)],
                        "bids": [[f"{eth - 0.1 * (i + 1):.2f}", f"{1 + i:.3f}", SERVER_NOW // 1000] for i in range(6)],
                    }
                }
            ),
        },
        {
            "method": "POST",
            "path": "/0/private/AddOrder",
            "query": {"pair": "ETHUSDT", "volume": "0.5"},
            "body": ok({"descr": {"order": "buy 0.50000000 ETHUSDT @ market"}, "txid": ["OUF4EM-FRGI2-MQMWZD"]}),
        },
        {
            "method": "POST",
            "path": "/0/private/AddOrder",
            "query": {"pair": "XBTUSDT", "volume": "100"},
            "body": {"error": ["EOrder:Insufficient funds"]},
        },
        {
            "method": "POST",
            "path": "/0/private/QueryOrders",
            "query": {"txid": "OUF4EM-FRGI2-MQMWZD"},
            "body": ok({"OUF4EM-FRGI2-MQMWZD": order}),
        },
        {"method": "POST", "path": "/0/private/OpenOrders", "body": ok({"open": {}})},
        {"method": "POST", "path": "/0/private/ClosedOrders", "body": ok({"closed": {}, "count": 0})},
        {
            "method": "POST",
            "path": "/0/private/ClosedOrders",
            "query": {"cl_ord_id": "contract-1"},
            "body": ok({"closed": {"OUF4EM-FRGI2-MQMWZD": order}, "count": 1}),
        },
        {
            "method": "POST",
            "path": "/0/private/TradesHistory",
            "body": ok({"trades": {"TCCCTY-WE7UY-RBZJZB": trade}, "count": 1}),
        },
        {
            "method": "POST",
            "path": "/0/private/BalanceEx",
            "body": ok(
                {
                    "USDT": {"balance": f"{10_000 - 0.5 * fill * 1.004:.4f}", "hold_trade": "0.0000"},
                    "XETH": {"balance": "0.5000000000", "hold_trade": "0.0000000000"},
                    "XXBT": {"balance": "0.0000000000", "hold_trade": "0.0000000000"},
                }
            ),
        },
    ]
    for b in BASE:
        pair = KRAKEN_PAIRS[b][0]
        rows = [
            [
                r[0] // 1000,
                f"{r[1]:.2f}",
                f"{r[2]:.2f}",
                f"{r[3]:.2f}",
                f"{r[4]:.2f}",
                f"{r[4]:.2f}",
                f"{r[5]:.8f}",
                300,
            ]
            for r in bars(b)
        ]
        responses.append(
            {
                "method": "GET",
                "path": "/0/public/OHLC",
                "query": {"pair": pair},
                "body": ok({pair: rows, "last": rows[-1][0]}),
            }
        )
        for start in (0, 5, 10, BARS):  # Kraken's since is exclusive: ccxt asks for one bar earlier
            since_s = (T0 + start * HOUR) // 1000 - HOUR // 1000
            responses.append(
                {
                    "method": "GET",
                    "path": "/0/public/OHLC",
                    "query": {"pair": pair, "since": str(since_s)},
                    "body": ok({pair: rows[start:], "last": rows[-1][0]}),
                }
            )
    return {"exchange": "kraken", "server_now_ms": SERVER_NOW, "responses": responses}


if __name__ == "__main__":
    for name, data in (("binance", binance()), ("kraken", kraken())):
        (HERE / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n")
