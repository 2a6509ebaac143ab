"""Click options shared by the commands that talk to an endpoint (``medqa eval``, ``medqa demo``)."""

from __future__ import annotations

import click

request_timeout = click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=120.0,
    show_default=True,
    help="Seconds per request.",
)
