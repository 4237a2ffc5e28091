"""Escalations: posting them where managers see them and acknowledging them in the thread."""
