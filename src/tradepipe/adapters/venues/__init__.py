"""Venue adapters implementing ``tradepipe.core.ports.VenueGateway``: the simulator and the paper broker."""

from tradepipe.adapters.venues.paper_broker import PaperBroker
from tradepipe.adapters.venues.sim_exchange import FaultPlan, SimExchange, default_sim_venues
from tradepipe.adapters.venues.sim_market import SimMarket

__all__ = ["FaultPlan", "PaperBroker", "SimExchange", "SimMarket", "default_sim_venues"]
