"""Python's garbage collector, set for a long-running server.

At start `frontline serve` builds about 215,000 objects the collector tracks (the theme model,
the SDKs, SQLAlchemy's metadata, the configuration) that live as long as the process. Left as
they are, every full collection walks all of them again: 126 and 165 ms with the event loop
stopped, in one run of `bench/slack_ack.py`, long enough to show in the acknowledgements' p99.
And with the default first threshold (700 allocations) the youngest generation was collected
about 1,550 times in that run, moving the requests in hand into older generations that are
walked again later.

`settle_after_start` moves what start-up built into the collector's permanent generation
(`gc.freeze`), so collections walk only what was made since; and collects the youngest
generation every `GEN0_THRESHOLD` allocations instead of 700, so most of a request's objects
are freed by reference counting before a collection looks at them. Under the same benchmark:
no collection over 20 ms after start, and the collector's total time over a run down from
about 1.2 s to 0.7 s.
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 5_000  # allocations between collections of the youngest generation
GEN1_THRESHOLD = 20  # youngest-generation collections between middle-generation ones
# Middle-generation collections between full ones (CPython adds its own rule: a full one only
# when a quarter more objects have survived into the oldest generation since the last).
GEN2_THRESHOLD = 20


def settle_after_start() -> None:
    """Leave what start-up built out of every later collection; collect less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)
