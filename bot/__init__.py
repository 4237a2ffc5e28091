"""Frontline's platform-free core: flags, escalations, themes and the rules around them."""
