"""First contact: the default project (MLP on the bundled digits) trained as the app does it.

Prints the seconds from start until validation accuracy first reaches 95 % and the
final accuracy. Target: >= 95 % within 30 s on a 2-core CPU.

    python bench/first_contact.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.data import build_datasets  # noqa: E402
from engine.examples import DEFAULT_EXAMPLE, open_example  # noqa: E402
from engine.training import Callback, Trainer  # noqa: E402


class Clock(Callback):
    def __init__(self, started: float) -> None:
        self.started, self.reached, self.accuracy = started, None, 0.0

    def on_epoch_end(self, epoch: int, metrics: dict) -> None:
        self.accuracy = metrics.get("val/loss/accuracy", 0.0)
        if self.reached is None and self.accuracy >= 0.95:
            self.reached = (time.perf_counter() - self.started, epoch)


def main() -> None:
    project = open_example(DEFAULT_EXAMPLE)
    started = time.perf_counter()
    bundle = build_datasets(project.data, project.base_dir)
    clock = Clock(started)
    Trainer(project.graph, bundle, project.training, callbacks=[clock], name=project.name).fit()
    total = time.perf_counter() - started
    if clock.reached:
        print(f"{project.name}: 95 % validation accuracy after {clock.reached[0]:.1f} s "
              f"(epoch {clock.reached[1]}; target <= 30 s); final {clock.accuracy:.1%} after {total:.1f} s")
    else:
        print(f"{project.name}: did NOT reach 95 % (final {clock.accuracy:.1%} after {total:.1f} s)")


if __name__ == "__main__":
    main()
