"""Spiders of the ``crawler`` project: one, ``medqa``, driven by site profiles."""
