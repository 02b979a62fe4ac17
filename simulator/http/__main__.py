"""Print the server's OpenAPI document: `python -m simulator.http > docs/openapi.json`."""

from __future__ import annotations

import json
import sys

from simulator.http import openapi_document

sys.stdout.write(json.dumps(openapi_document(), indent=2) + "\n")
