"""``k8sstress cluster up|down|status|deps``: bring a cluster to stress up and down."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from k8sstress.cli import output
from k8sstress.cluster import backends, deps
from k8sstress.cluster.config import ClusterConfig, load_cluster_config
from k8sstress.errors import InputError
from k8sstress.paths import bin_root, project_root

__all__ = ["register", "resolve_config"]

EPILOG = """\
examples:
  k8sstress cluster deps                          build/cache kube-apiserver, etcd, kwok (once)
  k8sstress cluster up                            3 simulated nodes of 4 CPU / 8 Gi (clusters/sim-small.yaml)
  k8sstress cluster up --config clusters/sim-1k.yaml
  k8sstress cluster status --format json          backend, name, kubeconfig, nodes_ready, nodes_total
  export KUBECONFIG=$(k8sstress cluster status --format json | jq -r .kubeconfig)
  k8sstress cluster down                          stops every process, removes the cluster directory
  k8sstress cluster up --backend kind --config clusters/kind-small.yaml     (needs a Docker engine)
  k8sstress cluster up --backend existing --context staging --allow-context staging
"""


def resolve_config(arg: str | None) -> ClusterConfig:
    """A cluster file by path, or by short name (``sim-small``) from the project's clusters/."""
    if arg is None:
        root = project_root()
        default = root / "clusters" / "sim-small.yaml" if root else None
        return load_cluster_config(default) if default and default.exists() else ClusterConfig()
    p = Path(arg)
    if not p.exists() and not arg.endswith((".yaml", ".yml")):
        root = project_root()
        cand = [Path.cwd() / "clusters" / f"{arg}.yaml"] + ([root / "clusters" / f"{arg}.yaml"] if root else [])
        for c in cand:
            if c.exists():
                p = c
                break
    if not p.exists():
        raise InputError(f"cluster file {arg} does not exist",
                         hint="give a path, or a name from clusters/ such as sim-small or sim-1k")
    return load_cluster_config(p)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("cluster", help="bring a cluster up or down; build its binaries",
                       description="Clusters to stress. The default backend, sim, runs a real control plane "
                                   "(kube-apiserver, controller-manager, scheduler, etcd) with KWOK-simulated "
                                   "nodes, with no Docker engine.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    csub = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--backend", choices=["sim", "kind", "existing"], default=None,
                        help="where the cluster runs (default: the cluster file's backend, else sim)")
        sp.add_argument("--config", metavar="FILE", help="cluster file (default clusters/sim-small.yaml)")
        sp.add_argument("--name", help="cluster name (default: the cluster file's name)")

    up = csub.add_parser("up", help="create the cluster and wait for its nodes to be Ready")
    common(up)
    up.add_argument("--context", help="for --backend existing: the kubeconfig context")
    up.add_argument("--allow-context", metavar="NAME", help="allow stressing this existing context (a guard)")
    up.add_argument("--wait", type=float, default=300, metavar="SECONDS", help="how long to wait for Ready nodes")
    up.add_argument("--no-pressure", action="store_true",
                    help="sim: do not start the pressure model (OOM kills, node pressure, eviction)")
    up.add_argument("--format", choices=["table", "json"], default="table")
    up.set_defaults(func=cmd_up)

    down = csub.add_parser("down", help="stop the cluster; leaves no process, port or directory behind")
    common(down)
    down.set_defaults(func=cmd_down)

    st = csub.add_parser("status", help="is it up, how many nodes are Ready, where is its kubeconfig")
    common(st)
    st.add_argument("--format", choices=["table", "json"], default="table")
    st.set_defaults(func=cmd_status)

    dp = csub.add_parser("deps", help="build and cache the control-plane binaries (idempotent)")
    dp.add_argument("--format", choices=["table", "json"], default="table")
    dp.set_defaults(func=cmd_deps)


def _config_and_backend(args: argparse.Namespace) -> tuple[ClusterConfig, backends.Backend]:
    config = resolve_config(args.config)
    update: dict[str, object] = {}
    if args.name:
        update["name"] = args.name
    if args.backend:
        update["backend"] = args.backend
    if getattr(args, "context", None):
        update["context"] = args.context
    if update:
        config = config.model_copy(update=update)
    backend = backends.get_backend(config.backend)
    from k8sstress.cluster.existing import ExistingBackend

    if isinstance(backend, ExistingBackend):
        backend.allow_context = getattr(args, "allow_context", None)
    return config, backend


def _print_info(info: backends.ClusterInfo, fmt: str) -> None:
    if fmt == "json":
        output.print_json(info.as_json())
        return
    t = output.Table(title=f"cluster {info.name}", show_header=False)
    t.add_row("backend", info.backend)
    t.add_row("running", "yes" if info.running else "no")
    t.add_row("nodes", f"{info.nodes_ready}/{info.nodes_total} Ready")
    t.add_row("kubeconfig", info.kubeconfig)
    if info.prometheus_url:
        t.add_row("prometheus", info.prometheus_url)
    output.print_table(t)


def cmd_up(args: argparse.Namespace) -> int:
    config, backend = _config_and_backend(args)
    started = time.monotonic()
    with output.steps() as on_progress:
        info = backend.up(config, on_progress=on_progress, wait_s=args.wait)
    if info.backend == "sim" and not args.no_pressure:
        _start_pressure(info)
    output.info(f"cluster {info.name} ({info.backend}) up in {time.monotonic() - started:.1f}s: "
                f"{info.nodes_ready}/{info.nodes_total} nodes Ready")
    output.artifact("kubeconfig", info.kubeconfig)
    _print_info(info, args.format)
    return 0


def _start_pressure(info: backends.ClusterInfo) -> None:
    """Start the sim pressure model detached; its pid goes into the cluster state so ``down`` stops it."""
    from k8sstress.paths import cache_dir
    from k8sstress.pressure import start_pressure

    log = cache_dir() / f"pressure-{info.name}.jsonl"
    handle = start_pressure(info.kubeconfig, log_path=log, detach=True)
    info.details["pressure_pid"] = handle.pid
    info.details["pressure_log"] = str(log)
    backends.save_state(info)
    output.info(f"pressure model running (pid {handle.pid}); decisions logged to {log}")


def cmd_down(args: argparse.Namespace) -> int:
    config, backend = _config_and_backend(args)
    backend.down(config.name)
    output.info(f"cluster {config.name} ({config.backend}) is down")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    config, backend = _config_and_backend(args)
    info = backend.status(config.name)
    _print_info(info, args.format)
    return 0


def cmd_deps(args: argparse.Namespace) -> int:
    started = time.monotonic()
    states: dict[str, str] = {}
    with output.progress() as prog:
        task = prog.add_task("control-plane binaries", total=len(deps.COMPONENTS))

        def on_step(c: deps.Component, state: str) -> None:
            states[c.name] = state
            if state == "building":
                prog.update(task, description=f"building {c.name} {c.version} (go build; minutes when cold)")
            else:
                prog.advance(task)
                prog.update(task, description=f"{c.name} {c.version}: {state}")

        binaries = deps.ensure_binaries(on_step)
    elapsed = time.monotonic() - started
    versions = deps.binary_versions(binaries) if args.format == "json" or any(
        s == "built" for s in states.values()) else {}
    result = {"elapsed_s": round(elapsed, 3), "components": states,
              "binaries": {k: str(v) for k, v in binaries.paths.items()}, "versions": versions}
    if args.format == "json":
        output.print_json(result)
    else:
        built = [n for n, s in states.items() if s == "built"]
        output.info(f"control-plane binaries ready in {elapsed:.1f}s "
                    f"({'built: ' + ', '.join(built) if built else 'all cached'})")
        output.artifact("binaries", bin_root())
        for name, ver in versions.items():
            output.info(f"  {name}: {ver}")
    return 0
