"""Load generation: the scenario model, load profiles and the open-model scheduler of launches and stops.

What lives here: scenario files and their validation (:mod:`.scenario`, :mod:`.yamlpos`,
:mod:`.durations`), load profiles (:mod:`.profiles`, pure), the open-model scheduler
(:mod:`.schedule`), the launch/stop/status interface a target implements
(:mod:`.launches`), timed actions on the cluster (:mod:`.actions`), the run record as
written by the load generator (:mod:`.recorder`), one run's session (:mod:`.session`),
suites (:mod:`.suite`) and the launch-rate benchmark (:mod:`.bench`).

What must not: targets (they implement :class:`~k8sstress.load.launches.Launcher` one
layer up), watching the cluster (``observe``), verdicts (``classify``, ``analyze``),
terminal output (``cli``). Collaborators come in as parameters.
"""

from k8sstress.load.durations import format_duration, parse_duration
from k8sstress.load.launches import (
    Launcher,
    LaunchRequest,
    LaunchResult,
    StatusResult,
    StopRequest,
    StopResult,
)
from k8sstress.load.profiles import PROFILES, Arrival, ProfileSpec, Segment, Shape, register_profile
from k8sstress.load.recorder import Recorder
from k8sstress.load.scenario import Scenario, load_scenario, parse_scenario, resolve_scenario_path
from k8sstress.load.schedule import OpenModelScheduler
from k8sstress.load.session import LoadResult, LoadSession
from k8sstress.load.suite import Suite, load_suite

__all__ = [
    "Scenario",
    "load_scenario",
    "parse_scenario",
    "resolve_scenario_path",
    "Suite",
    "load_suite",
    "PROFILES",
    "ProfileSpec",
    "register_profile",
    "Shape",
    "Segment",
    "Arrival",
    "OpenModelScheduler",
    "Launcher",
    "LaunchRequest",
    "LaunchResult",
    "StopRequest",
    "StopResult",
    "StatusResult",
    "Recorder",
    "LoadSession",
    "LoadResult",
    "parse_duration",
    "format_duration",
]
