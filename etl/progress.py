"""Progress for long builds (files and rows per source) and the per-stage timings the benchmark prints.

Lines go to stderr only when it is a terminal and CI is not set, so CI logs stay quiet.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from dataclasses import dataclass, field


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time (user and system) of this process so far, every thread counted: against a stage's
    wall time it shows how busy the cores were (on 2 cores a stage can use up to twice its time)."""
    times = os.times()
    return times.user + times.system


@dataclass
class Progress:
    enabled: bool = field(default_factory=lambda: sys.stderr.isatty() and not os.environ.get("CI"))
    stages: list[dict] = field(default_factory=list)
    _t0: float = field(default_factory=time.perf_counter)
    _cpu0: float = field(default_factory=cpu_seconds)
    _stage: str | None = None
    _rows: int = 0

    def say(self, message: str) -> None:
        if self.enabled:
            print(f"[asb] {message}", file=sys.stderr, flush=True)

    def file_read(self, source: str, n: int, total: int, name: str, rows: int) -> None:
        self._rows += rows
        self.say(f"{source}: file {n}/{total} {name}: {rows:,} rows")

    def stage(self, name: str) -> None:
        """Close the running stage (recording seconds, CPU seconds, rows, peak memory) and open `name`."""
        now, cpu = time.perf_counter(), cpu_seconds()
        if self._stage is not None:
            self.stages.append({"stage": self._stage, "seconds": round(now - self._t0, 3),
                                "cpu_seconds": round(cpu - self._cpu0, 2),
                                "rows": self._rows, "peak_rss_mib": round(peak_rss_mib(), 1)})
            self.say(f"{self._stage} done in {now - self._t0:.1f}s")
        self._stage, self._t0, self._cpu0, self._rows = name, now, cpu, 0
        if name:
            self.say(f"{name} ...")

    def count(self, rows: int) -> None:
        self._rows += rows
