"""``python -m k8sstress.pressure --kubeconfig F [--log F]``: the pressure model in the foreground."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from k8sstress.kube import Kube
from k8sstress.pressure.loop import PressureConfig, PressureModel


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m k8sstress.pressure", description=__doc__)
    p.add_argument("--kubeconfig", required=True)
    p.add_argument("--log", help="decision log (JSON lines, appended)")
    p.add_argument("--tick", type=float, default=0.5, help="seconds between looks at the nodes")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    model = PressureModel(Kube(args.kubeconfig), config=PressureConfig(tick_s=args.tick), decision_log=args.log)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    model.start()
    done.wait()
    model.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
