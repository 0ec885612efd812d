"""Crash-harness driver: a warm process that forks one child per kill point (no Prefect, no Dask).

``python tests/integration/crash_driver.py <plan.json>`` — the plan names a root dir, a seed and a number of kills.
A dry run first counts how often each crash point is reached; the kills are then drawn from those (point, n-th
hit) pairs (every point first). For each kill, in ``<root>/k<i>`` (a copy of a migrated template ledger):

1. a child runs two cycles of the real execute stage (cycle 2 re-offers cycle 1's intents, cancels the working
   orders on sim-beta and sells two positions) with ``TRADEPIPE_CRASH_AT=<point>:<nth>``, SIGKILLed there (or finishes);
2. a fresh child (no crash env) opens the next cycle and runs the execute stage again with cycle 1's intents
   (what a rerun of the flow does): recovery by lookup, duplicates skipped. With ``"recovery": "reconcile"`` in
   the plan the child reconciles first (``tradepipe reconcile`` after the restart: venue trades are imported
   before any lookup), then runs that execute stage, then reconciles again (the cycle's own reconcile stage).

The ledger is a SQLite file; the venue state is the paper wallets' JSON files (a ``PaperBroker`` per sim venue,
configured to accept a reused client order id, so a duplicate send would show). The test reads both afterwards.
Beyond the distinct single kills, a scenario also kills the first recovery (then a second recovery runs).
``"points"`` in the plan restricts the kills to the named crash points.
Results (one JSON line per scenario, the dry run first) go to ``<root>/results.jsonl``.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.pop("TRADEPIPE_CRASH_AT", None)

from tradepipe import wiring  # noqa: E402
from tradepipe.adapters import crash  # noqa: E402
from tradepipe.config import Settings, load_settings  # noqa: E402
from tradepipe.core import execution  # noqa: E402
from tradepipe.core.execution.ids import client_order_id  # noqa: E402
from tradepipe.core.risk import SizingOutcome  # noqa: E402
from tradepipe.domain.money import to_decimal  # noqa: E402
from tradepipe.domain.orders import IntentPurpose, OrderIntent, OrderType, Side, TimeInForce  # noqa: E402
from tradepipe.domain.portfolio import Position  # noqa: E402
from tradepipe.stages import execute as execute_stage  # noqa: E402
from tradepipe.stages import reconcile as reconcile_stage  # noqa: E402
from tradepipe.stages import start  # noqa: E402

# (venue, symbol, side, type, amount, limit offset from mid in bps or None)
WORKLOAD: list[tuple[str, str, str, OrderType, str, float | None]] = [
    ("sim-alpha", "BTC/USDT", "buy", OrderType.MARKET, "0.015", None),
    ("sim-beta", "ETH/USDT", "buy", OrderType.MARKET, "0.4", None),
    ("sim-alpha", "SOL/USDT", "buy", OrderType.MARKET, "6", None),
    ("sim-beta", "LINK/USDT", "buy", OrderType.MARKET, "60", None),
    ("sim-alpha", "ETH/USDT", "buy", OrderType.LIMIT, "0.3", -5.0),
    ("sim-beta", "BNB/USDT", "buy", OrderType.LIMIT, "1.5", -3.0),
    ("sim-beta", "BTC/USDT", "buy", OrderType.LIMIT, "0.01", -800.0),
    ("sim-alpha", "DOGE/USDT", "buy", OrderType.MARKET, "3000", None),
]


def settings_for(state_dir: Path) -> Settings:
    return load_settings(
        ROOT / "tradepipe.toml",
        {"state_dir": str(state_dir), "paper": {"client_order_id_unique": False}},
    )


def intents(settings: Settings) -> list[OrderIntent]:
    """Cycle 1's intents; the same in every process (limit prices from the first cycle's deterministic book)."""
    gateways = wiring.gateways(settings, wiring.first_as_of_ms(settings))
    out = []
    for i, (venue, symbol, side, type_, amount, offset) in enumerate(WORKLOAD):
        limit = None
        if offset is not None:
            book = gateways[venue].fetch_order_book(symbol)
            mid = (to_decimal(book["bids"][0][0]) + to_decimal(book["asks"][0][0])) / 2
            limit = (mid * (1 + to_decimal(offset) / 10_000)).quantize(Decimal("1e-6"))
        out.append(
            OrderIntent(
                client_order_id=client_order_id("run-1", venue, symbol, side, i),
                run_id="run-1",
                venue=venue,
                symbol=symbol,
                side=Side(side),
                amount=Decimal(amount),
                order_type=type_,
                purpose=IntentPurpose.ENTRY,
                reference_price=Decimal(1),
                limit_price=limit,
                time_in_force=TimeInForce.GTC,
                reason=f"crash harness order {i}",
            )
        )
    return out


def crash_run(settings: Settings) -> None:
    ctx = start.open_cycle(settings, "run-1")  # before the first wallet write: recovery reuses run-1's intents
    planned = intents(settings)
    for run in ("run-1", "run-2"):
        ctx = ctx if run == "run-1" else start.open_cycle(settings, run)
        execute_stage.execute(settings, ctx, SizingOutcome(tuple(planned), ()))
        if run == "run-2":
            gateways = wiring.gateways(settings, ctx.as_of_ms)
            ledger = wiring.ledger(settings)
            execution.cancel_all_open_orders(gateways, ledger, venue="sim-beta", reason="harness")
            execution.execute_intents(exits(ledger.open_positions()[:2]), gateways, ledger)


def exits(positions: list[Position]) -> list[OrderIntent]:
    """Cycle 2 sells the first two positions in full (exits are never routed away from their venue)."""
    return [
        OrderIntent(
            client_order_id=client_order_id("run-2", p.venue, p.symbol, "sell", 0),
            run_id="run-2",
            venue=p.venue,
            symbol=p.symbol,
            side=Side.SELL,
            amount=p.amount,
            order_type=OrderType.MARKET,
            purpose=IntentPurpose.EXIT,
            reference_price=p.average_price,
            reason="crash harness exit",
        )
        for p in positions
    ]


def recovery_run(settings: Settings) -> None:
    ctx = start.open_cycle(settings, f"run-recover-{os.getpid()}")
    execute_stage.execute(settings, ctx, SizingOutcome(tuple(intents(settings)), ()))


def reconcile_recovery_run(settings: Settings) -> None:
    ctx = start.open_cycle(settings, f"run-recover-{os.getpid()}")
    reconcile_stage.reconcile(settings, ctx)
    execute_stage.execute(settings, ctx, SizingOutcome(tuple(intents(settings)), ()))
    reconcile_stage.reconcile(settings, ctx)


def child(target: Any, settings: Settings, env: dict[str, str], report: Path | None = None) -> int:
    """Fork, run ``target`` in the child (exit 0/1), return the child's wait status."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.environ.update(env)
            target(settings)
            if report is not None:
                report.write_text(json.dumps(crash.reached()))
            code = 0
        except BaseException as exc:  # the child reports and exits; it never returns into the loop
            print(f"child error: {type(exc).__name__}: {exc}", file=sys.stderr)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return status


def describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return "killed" if os.WTERMSIG(status) == signal.SIGKILL else f"signal {os.WTERMSIG(status)}"
    return f"exit {os.WEXITSTATUS(status)}"


def kill_points(counts: dict[str, int], kills: int, seed: int) -> list[tuple[str, int, str | None, int]]:
    """``kills`` distinct (point, nth[, second point, nth]) scenarios, spread over every point, seeded.

    All single kills come first (shuffled); beyond their number, scenarios add a second kill in the first
    recovery (a crash while recovering from a crash).
    """
    rng = random.Random(seed)
    singles = [(p, n) for p in sorted(counts) for n in range(1, counts[p] + 1)]
    rng.shuffle(singles)
    by_point = sorted(singles, key=lambda pn: (pn[1] > 1, singles.index(pn)))  # every point's first hit early
    firsts = [pn for pn in by_point if pn[1] == 1]
    rest = [pn for pn in singles if pn not in firsts]
    ordered = firsts + rest
    plan: list[tuple[str, int, str | None, int]] = [(p, n, None, 0) for p, n in ordered[:kills]]
    while len(plan) < kills:
        p, n = rng.choice(singles)
        p2, n2 = rng.choice(singles)
        plan.append((p, n, p2, min(n2, 3)))
    return plan


def main(plan_path: str) -> None:
    plan = json.loads(Path(plan_path).read_text())
    root = Path(plan["root"])
    template, work = root / "_template", root / "_work"
    settings = settings_for(work)  # every run uses the same paths, so the migrated-schema check stays warm
    wiring.ledger(settings)  # migrate once, in the parent; children find the schema at head
    wiring._engine(settings.ledger_url).dispose()  # no connection crosses a fork
    shutil.copytree(work, template, dirs_exist_ok=True)

    def fresh(name: str) -> Path:
        if work.exists():
            shutil.rmtree(work)
        shutil.copytree(template, work)
        return root / name

    recover = reconcile_recovery_run if plan.get("recovery") == "reconcile" else recovery_run
    dry = fresh("dry")
    status = child(crash_run, settings, {crash.ENV: "count"}, report=work / "reached.json")
    counts = json.loads((work / "reached.json").read_text())
    drawn = {p: n for p, n in counts.items() if p in plan.get("points", counts)}
    work.rename(dry)
    with (root / "results.jsonl").open("w") as out:
        out.write(json.dumps({"name": "dry", "crash": describe(status), "reached": counts}) + "\n")
        for i, (point, nth, point2, nth2) in enumerate(kill_points(drawn, plan["kills"], plan.get("seed", 0))):
            if "only" in plan and i not in plan["only"]:
                continue
            name = f"k{i:03d}"
            keep = fresh(name)
            result: dict[str, Any] = {"name": name, "point": point, "nth": nth}
            result["crash"] = describe(child(crash_run, settings, {crash.ENV: f"{point}:{nth}"}))
            if point2 is not None:
                result.update(point2=point2, nth2=nth2)
                result["crash2"] = describe(child(recover, settings, {crash.ENV: f"{point2}:{nth2}"}))
            result["recovery"] = describe(child(recover, settings, {}))
            work.rename(keep)
            out.write(json.dumps(result) + "\n")
            out.flush()


if __name__ == "__main__":
    main(sys.argv[1])
