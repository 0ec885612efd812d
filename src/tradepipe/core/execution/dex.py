"""DEX rapid executor: a swap on a constant-product pool venue, sent once, confirmed by polling.

The expected price comes from the AMM curve; the swap carries a slippage tolerance (``maxSlippageBps``) and a
priority fee. The executor polls the transaction's status until it lands (FILLED), fails (CANCELED with the
chain's reason) or expires (dropped: EXPIRED). Only an EXPIRED transaction — one the venue says can never
land — is resubmitted, as a new order under an id derived from the first (``resubmit<n>``) with a higher
priority fee; an UNKNOWN outcome is never resubmitted.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tradepipe.core.execution import lookup
from tradepipe.core.execution.ids import derived_id
from tradepipe.core.execution.journal import Journal
from tradepipe.core.execution.pacing import ExecutionPolicy, Pacer
from tradepipe.core.execution.placement import deny, send, submitted
from tradepipe.core.execution.report import ExecutionReport
from tradepipe.core.execution.routing import estimate
from tradepipe.core.ports import VenueGateway
from tradepipe.domain.orders import OrderIntent, OrderStatus, TrackedOrder
from tradepipe.errors import TransientVenueError, VenueRejected

PENDING = frozenset({OrderStatus.SUBMITTED, OrderStatus.UNKNOWN, OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED})


@dataclass(frozen=True, slots=True)
class SwapPlan:
    priority_fee: float = 0.002  # quote units per transaction
    fee_escalation: float = 3.0  # priority fee multiplier per resubmission
    max_resubmits: int = 2
    max_polls: int = 12
    poll_interval_s: float = 0.4


def swap(
    intent: OrderIntent,
    gateway: VenueGateway,
    journal: Journal,
    *,
    plan: SwapPlan | None = None,
    policy: ExecutionPolicy | None = None,
    pacer: Pacer | None = None,
) -> ExecutionReport:
    """Swap ``intent.amount`` of the base token (buy or sell) on ``gateway`` (a venue with ``amm_pool``)."""
    plan, policy = plan or SwapPlan(), policy or ExecutionPolicy()
    pacer = pacer or Pacer(policy)
    report = ExecutionReport()
    current, fee = intent, plan.priority_fee
    for attempt in range(plan.max_resubmits + 1):
        order = _commit(current, gateway, journal, pacer, policy, report)
        if order is None:
            break
        extra = {"priorityFee": fee, "maxSlippageBps": policy.max_slippage_bps}
        send(order, gateway, journal, pacer, report, extra)
        final = _confirm(order.client_order_id, gateway, journal, pacer, plan, report)
        if final is None or final.status is not OrderStatus.EXPIRED or attempt == plan.max_resubmits:
            break
        fee *= plan.fee_escalation
        current = dataclasses.replace(
            intent,
            client_order_id=derived_id(intent.client_order_id, f"resubmit{attempt + 1}"),
            reason=f"resubmit {attempt + 1} of {intent.client_order_id} (dropped), priority fee {fee:g}",
        )
    return report


def _commit(
    intent: OrderIntent,
    gateway: VenueGateway,
    journal: Journal,
    pacer: Pacer,
    policy: ExecutionPolicy,
    report: ExecutionReport,
) -> TrackedOrder | None:
    try:
        est = estimate(gateway, pacer, intent.side, intent.symbol, intent.amount)
    except (TransientVenueError, VenueRejected):
        est = None
    expected = est.slippage_bps if est is not None else float("inf")
    ok = expected <= policy.max_slippage_bps
    if not journal.add_intent(
        intent,
        submitted=ok,
        route=f"dex swap: expected {expected:.1f} bps on the curve",
        arrival_price=est.mid if est else None,
        expected_slippage_bps=expected if est is not None and expected != float("inf") else None,
    ):
        report.skipped_duplicates.append(intent.client_order_id)
        return None
    arrival = est.mid if est else None
    if ok:
        return submitted(intent, arrival)
    order = TrackedOrder(intent=intent, status=OrderStatus.INITIALIZED, arrival_price=arrival)
    deny(
        order,
        f"slippage guard: expected {expected:.1f} bps on the AMM curve > {policy.max_slippage_bps:g} bps",
        journal,
        report,
    )
    return None


def _confirm(
    cid: str, gateway: VenueGateway, journal: Journal, pacer: Pacer, plan: SwapPlan, report: ExecutionReport
) -> TrackedOrder | None:
    """Poll until the transaction lands, fails or expires (or ``max_polls``); its last known state."""
    order = journal.tracked(cid)
    polls = 0
    while order is not None and order.status in PENDING and polls < plan.max_polls:
        pacer.sleep(plan.poll_interval_s)
        polls += 1
        order = lookup.resolve(order, gateway, journal, pacer, report, conclude_missing=False) or order
    return order
