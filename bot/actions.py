"""Action ids of the buttons the core puts on messages; adapters pass them back unchanged."""

from __future__ import annotations

from enum import StrEnum

from bot.flags.commands import ThemeVerb


class ActionId(StrEnum):
    ACKNOWLEDGE = "flag_acknowledge"
    CUSTOMER_UPDATED = "flag_customer_updated"
    SNOOZE = "flag_snooze"
    RESOLVE = "flag_resolve"
    WRONG_THEME = "flag_wrong_theme"  # on a recurring flag's confirmation
    # On a theme's routed post; the value is the theme's id.
    THEME_ACKNOWLEDGE = "theme_acknowledge"
    THEME_PLANNED = "theme_planned"
    THEME_FIXED = "theme_fixed"
    THEME_WONT_FIX = "theme_wont_fix"
    THEME_NOT_OURS = "theme_not_ours"


# Theme buttons and the status each stands for.
THEME_ACTIONS = {
    ActionId.THEME_ACKNOWLEDGE: ThemeVerb.ACKNOWLEDGE,
    ActionId.THEME_PLANNED: ThemeVerb.PLANNED,
    ActionId.THEME_FIXED: ThemeVerb.FIXED,
    ActionId.THEME_WONT_FIX: ThemeVerb.WONT_FIX,
    ActionId.THEME_NOT_OURS: ThemeVerb.OWNER,
}
