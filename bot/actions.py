"""Action ids of the buttons the core puts on messages; adapters pass them back unchanged."""

from __future__ import annotations

from enum import StrEnum


class ActionId(StrEnum):
    ACKNOWLEDGE = "flag_acknowledge"
    CUSTOMER_UPDATED = "flag_customer_updated"
    SNOOZE = "flag_snooze"
    RESOLVE = "flag_resolve"
