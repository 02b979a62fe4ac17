"""Hypothesis profiles: a fast default for developers, a thorough `ci` one when CI is set."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=60, derandomize=True, deadline=None, print_blob=True
)
settings.register_profile(
    "ci",
    max_examples=250,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "default")
