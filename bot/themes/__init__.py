"""Themes: recurring flags grouped into one problem owned by one product team."""
