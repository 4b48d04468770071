"""The reference job runner: an HTTP service plus kopf handlers, standing in for ms-kubernetes-job-runner.

It does the three duties of the platform's runner — start node pods (Batch:
run-to-completion pods or Jobs; Online: long-running pods restarted on failure),
stop them, and follow their state (kopf, embedded) reporting every change to a
callback URL and its state API — with a reaction policy chosen at start
(:mod:`.policies`). Its state is rebuilt from its pods' labels and annotations
after a restart.

Layout: :mod:`.runs`, :mod:`.policies`, :mod:`.capacity` (its pure parts),
:mod:`.openapi` (data); :mod:`.service` (the runner), :mod:`.following` (kopf),
:mod:`.callbacks`, :mod:`.metrics`, :mod:`.api` (aiohttp routes); :mod:`.bench`.
"""

from __future__ import annotations

from k8sstress.runner.api import create_app, serve
from k8sstress.runner.policies import POLICIES, Policy, get_policy
from k8sstress.runner.runs import RUN_ID_LABEL, RUNNER_LABEL, STATES, Run
from k8sstress.runner.service import Runner, RunnerConfig

__all__ = ["Runner", "RunnerConfig", "create_app", "serve", "POLICIES", "Policy", "get_policy", "Run", "STATES",
           "RUNNER_LABEL", "RUN_ID_LABEL"]
