"""What execution needs from the ledger: the ``Journal`` protocol (``adapters.storage.ledger.Ledger`` implements it).

Contract, which the crash guarantees rest on:

* ``add_intent`` commits the intent row (status INITIALIZED, or SUBMITTED with ``submitted=True``) and its
  ``initialized`` (and ``submitted``) event in one transaction, and returns False, changing nothing, when the
  client order id already exists. Placement calls the venue only after a ``submitted`` event is committed.
  ``route``/``arrival_price``/``expected_slippage_bps`` record why the order goes where it goes and what it
  was expected to cost (realised slippage is measured against ``arrival_price``).
* ``record`` appends ``events`` to ``order_events`` (in order), sets the order's status to the last event's
  status, upserts the venue's view of the order (``order``, if given) and inserts its fills that are new by
  ``(venue, trade_id)`` — all in ONE transaction — and returns the fills that were new. Fills are applied to
  positions and cash in that same transaction.
* ``tracked`` / ``open_orders`` read the current state back (``open_orders``: every order not in a terminal
  status, oldest first), so a new process continues where a dead one stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from tradepipe.domain.orders import Fill, Order, OrderEvent, OrderIntent, TrackedOrder


class Journal(Protocol):
    def add_intent(
        self,
        intent: OrderIntent,
        *,
        emulated: bool = False,
        submitted: bool = False,
        route: str = "",
        arrival_price: Decimal | None = None,
        expected_slippage_bps: float | None = None,
    ) -> bool: ...

    def record(
        self,
        client_order_id: str,
        events: Sequence[OrderEvent],
        order: Order | None = None,
        *,
        attempts: int | None = None,
        slippage_bps: float | None = None,
    ) -> list[Fill]: ...

    def tracked(self, client_order_id: str) -> TrackedOrder | None: ...

    def open_orders(self) -> list[TrackedOrder]: ...
