"""Numbers and dates the Italian way: appio_core.italian's, written once there.

Kept as a name for the pages that import it (recipients_view, flussi); new code imports
appio_core.italian directly.
"""

from __future__ import annotations

from appio_core.italian import euro, local_time

__all__ = ["euro", "local_time"]
