"""What an engineer needs to know about each failure class: symptoms, detection, causes, remedies.

Static knowledge, written for this harness; the runbook fills in the figures of one
run. ``{ns}`` and ``{sel}`` in commands are replaced with the run's namespace and label
selector. PromQL uses kube-state-metrics, kubelet and apiserver metric names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Play", "PLAYS", "RUNNER_PLAYS"]


@dataclass(frozen=True)
class Play:
    title: str
    symptoms: str
    kubectl: tuple[str, ...]
    promql: tuple[str, ...]
    causes: dict[str, str] = field(default_factory=dict)
    """Keyed by what the run shows: "with" (limits), "without", "quota", "pods", "node-loss", "default"."""
    remediation: tuple[str, ...] = ()


_GET = "kubectl get pods -n {ns} -l {sel} -o wide"

PLAYS: dict[str, Play] = {
    "Pending": Play(
        "Pods still Pending at the end",
        "Launches accepted, pods created, but not running by the end of the run and with no failure signal "
        "(no scheduling failure yet, or a node was assigned and containers never started).",
        (_GET + " --field-selector=status.phase=Pending",
         "kubectl describe pod -n {ns} <pod>   # Events: Scheduled / Pulling / FailedMount"),
        ('sum by (namespace) (kube_pod_status_phase{{phase="Pending", namespace="{ns}"}})',),
        {"default": "The run ended while pods were still starting (too short a drain), or nodes are slow to start "
                    "containers (image pulls, volume mounts)."},
        ("Give the scenario a longer drain (durations) so every launch reaches a verdict.",
         "If pods sit Pending on a node, check the kubelet and image pulls on that node."),
    ),
    "Unschedulable": Play(
        "Unschedulable: the scheduler cannot place the pod",
        "Pods stay Pending with condition PodScheduled=False/Unschedulable and FailedScheduling events such as "
        "`0/3 nodes are available: 3 Insufficient cpu.` Launches keep being accepted, nothing runs.",
        (_GET + " --field-selector=status.phase=Pending",
         "kubectl get events -n {ns} --field-selector reason=FailedScheduling --sort-by=.lastTimestamp",
         "kubectl describe nodes | grep -A 8 'Allocated resources'"),
        ('sum by (namespace) (kube_pod_status_unschedulable{{namespace="{ns}"}})',
         'sum(scheduler_pending_pods{{queue="unschedulable"}})',
         'sum(rate(scheduler_schedule_attempts_total{{result="unschedulable"}}[5m]))'),
        {"with": "The pods' requests no longer fit: the nodes' allocatable cpu/memory is reserved by running pods "
                 "(requests count, not use). With limits this is the normal, safe failure: nothing is killed, "
                 "work queues up.",
         "pods": "The nodes' pod count is exhausted (`Too many pods`, maxPods per node); pods without requests "
                 "can only fail this way.",
         "without": "Pods without requests request nothing, so only the pod count (`Too many pods`) or taints "
                    "(e.g. node.kubernetes.io/memory-pressure) keep them off the nodes.",
         "default": "Capacity: no node has room (requests or pod count), or taints/affinity exclude them."},
        ("Make the runner stop accepting (or queue) launches when pods stay unschedulable: answer 429 with "
         "Retry-After instead of creating more Pending pods.",
         "Right-size requests from observed usage; add nodes or enable the cluster autoscaler for this pool.",
         "Set a namespace ResourceQuota so the apiserver refuses work early (403) rather than piling up Pending pods.",
         "Alert on pods Unschedulable for more than a few minutes (manifests/prometheus/rules.yaml)."),
    ),
    "Failed": Play(
        "Failed: a container exited non-zero",
        "Pod phase Failed with an exit code and reason other than OOM or eviction.",
        (_GET + " --field-selector=status.phase=Failed",
         "kubectl logs -n {ns} <pod> --previous"),
        ('sum by (namespace, reason) (kube_pod_container_status_last_terminated_reason{{namespace="{ns}"}})',),
        {"default": "The node's own work failed (exit code), an activeDeadlineSeconds expired, or the run's chaos "
                    "stages failed it on purpose (simulated)."},
        ("Check the exit codes in the detail; failures the harness injected are marked simulated.",),
    ),
    "OOMKilled": Play(
        "OOMKilled: a container was killed for using too much memory",
        "Containers terminate with reason OOMKilled and exit code 137; with restarts they go to CrashLoopBackOff. "
        "The kernel writes no pod event: only the container status shows it.",
        ("kubectl get pods -n {ns} -l {sel} -o jsonpath='{{range .items[*]}}{{.metadata.name}}{{\"\\t\"}}"
         "{{.status.containerStatuses[*].lastState.terminated.reason}}{{\"\\t\"}}"
         "{{.status.containerStatuses[*].state.terminated.reason}}{{\"\\n\"}}{{end}}' | grep OOMKilled",
         "kubectl describe pod -n {ns} <pod>   # Last State: Terminated, Reason: OOMKilled, Exit Code: 137"),
        ('sum by (namespace, pod, container) (kube_pod_container_status_last_terminated_reason'
         '{{reason="OOMKilled", namespace="{ns}"}})',
         'sum(increase(kube_pod_container_status_restarts_total{{namespace="{ns}"}}[5m]))'),
        {"with": "The container outgrew its memory limit: the limit is below the node's real peak use. "
                 "This is the with-limits failure: only the offending container dies.",
         "without": "No limit: the node itself ran out of memory and the kernel's OOM killer picked a process. "
                    "Any pod on the node may die, not only the one that grew.",
         "default": "Memory use above the container's limit (with limits) or above what the node has (without)."},
        ("Raise the memory limit to the observed peak plus headroom, or fix the node's memory growth.",
         "Give every node manifest a memory limit, so one node's growth kills only itself.",
         "Make the runner report OOMKilled runs as failed promptly and decide on retries by exit reason "
         "(retrying an OOM with the same limit fails again)."),
    ),
    "CrashLoopBackOff": Play(
        "CrashLoopBackOff: a container keeps crashing",
        "Restart count grows; the container waits in CrashLoopBackOff with a back-off from 10 s up to 5 min.",
        (_GET, "kubectl logs -n {ns} <pod> --previous"),
        ('sum by (namespace) (kube_pod_container_status_waiting_reason{{reason="CrashLoopBackOff", '
         'namespace="{ns}"}})',),
        {"default": "The container exits right after starting (configuration, a dependency not reachable, "
                    "a crash); for online nodes, Kafka or another backend may be unavailable."},
        ("Read the previous container's log; fix the crash or the dependency.",
         "Online nodes: the runner should report such runs as failing, not Running."),
    ),
    "Evicted": Play(
        "Evicted: the kubelet (or taint manager, or the eviction API) removed the pod",
        "Pods go Failed with reason Evicted and a message like `The node was low on resource: memory.` "
        "(kubelet), or are deleted with DisruptionTarget DeletionByTaintManager after a node went NotReady.",
        ("kubectl get pods -n {ns} -l {sel} --field-selector=status.phase=Failed -o wide | grep Evicted",
         "kubectl get events -n {ns} --field-selector reason=Evicted",
         "kubectl describe node <node> | grep -A 5 Conditions   # MemoryPressure=True",
         "kubectl get events -A --field-selector reason=EvictionThresholdMet"),
        ('sum by (namespace) (kube_pod_status_reason{{reason="Evicted", namespace="{ns}"}})',
         'sum by (eviction_signal) (increase(kubelet_evictions[10m]))',
         'kube_node_status_condition{{condition="MemoryPressure", status="true"}} == 1'),
        {"without": "Pods without requests or limits (BestEffort) let the node run out of memory; under "
                    "MemoryPressure the kubelet evicts pods using more than they requested, BestEffort first "
                    "(their request is 0).",
         "with": "Burstable pods using more memory than they request are eviction candidates when the node is "
                 "under pressure.",
         "node-loss": "A node became NotReady/unreachable; after the toleration (300 s by default) the taint manager "
                      "deleted its pods.",
         "default": "Node memory (or disk) pressure, or node loss."},
        ("Set memory requests equal to the real use (limits too): Guaranteed pods are evicted last.",
         "Keep node memory headroom (kube-reserved/system-reserved, evictionHard) so the kubelet acts before the "
         "kernel OOM killer.",
         "Make the runner notice evictions promptly and decide whether to relaunch (Batch) or keep the online "
         "node alive elsewhere.",
         "Alert on evictions (manifests/prometheus/rules.yaml)."),
    ),
    "Preempted": Play(
        "Preempted: the scheduler removed the pod for a higher-priority one",
        "DisruptionTarget PreemptionByScheduler; event `Preempted by pod <uid> on node <node>`.",
        ("kubectl get events -n {ns} --field-selector reason=Preempted", "kubectl get priorityclasses"),
        ('sum(increase(scheduler_preemption_victims_sum[10m]))',),
        {"default": "Higher-priority pods needed the room; this run's pods have a lower PriorityClass."},
        ("Give node pods a PriorityClass that matches their importance; reserve capacity for the platform's own pods.",),
    ),
    "KubeletRejected": Play(
        "KubeletRejected: the node refused the pod at admission",
        "Phase Failed with reason OutOfcpu / OutOfmemory / OutOfpods right after scheduling.",
        (_GET + " --field-selector=status.phase=Failed", "kubectl describe pod -n {ns} <pod>"),
        ('sum by (namespace, reason) (kube_pod_status_reason{{namespace="{ns}"}})',),
        {"default": "The scheduler's view and the kubelet's disagreed (a race, static pods, or a node that "
                    "shrank)."},
        ("Usually transient; a runner should relaunch such runs, since the pod never started.",),
    ),
    "ImagePullFailed": Play(
        "ImagePullFailed: the image cannot be pulled",
        "Containers wait in ErrImagePull / ImagePullBackOff.",
        (_GET, "kubectl describe pod -n {ns} <pod>   # Failed to pull image"),
        ('sum by (namespace) (kube_pod_container_status_waiting_reason{{reason=~"ErrImagePull|ImagePullBackOff", '
         'namespace="{ns}"}})',),
        {"default": "A wrong image name or tag, missing pull credentials, or a registry under load."},
        ("Fix the image reference or pull secret; pre-pull images on nodes for bursty launches.",),
    ),
    "AdmissionRejected": Play(
        "AdmissionRejected: the create was refused",
        "No pod appears. The runner's launch fails with HTTP 403 (`exceeded quota`, LimitRange), or a Job/"
        "ReplicaSet collects FailedCreate events; or the runner itself refused the launch (4xx/5xx).",
        ("kubectl describe resourcequota -n {ns}",
         "kubectl get events -n {ns} --field-selector reason=FailedCreate",
         "kubectl get limitrange -n {ns} -o yaml"),
        ('kube_resourcequota{{namespace="{ns}", type="used"}} / ignoring(type) '
         'kube_resourcequota{{namespace="{ns}", type="hard"}}',
         'sum by (code) (rate(apiserver_request_total{{resource="pods", verb="POST", code=~"4..|5.."}}[5m]))'),
        {"quota": "The namespace ResourceQuota is used up: the apiserver refuses new pods with 403 until running "
                  "pods finish.",
         "limitrange": "A LimitRange refuses the pod's resources (too large, or no limits where required).",
         "runner": "The runner refused or failed the launch itself (HTTP error, overload, its own limits).",
         "default": "Admission (quota, LimitRange, webhook) or the runner refused the launch."},
        ("Have the runner map 403 quota refusals to a clear, retryable answer (429 + Retry-After) for its callers.",
         "Size the quota for the planned peak, or let the runner queue launches while the quota is full.",
         "For runner-side refusals: check the runner's own logs and limits (threads, connections)."),
    ),
    "Deleted": Play(
        "Deleted: the pod vanished and nobody in the run asked for it",
        "Pods disappear without a stop request: no eviction status, no preemption.",
        ("kubectl get events -n {ns} --sort-by=.lastTimestamp | grep -i -e delet -e kill",),
        ('sum(rate(apiserver_request_total{{resource="pods", verb="DELETE"}}[5m]))',),
        {"default": "Another controller or a person deleted them (a Job's TTL, a garbage collector, a cleanup job, "
                    "or the runner deleting pods it should not)."},
        ("Find the deleter in the apiserver audit log; make the runner delete only pods it was asked to stop.",),
    ),
    "Lost": Play(
        "Lost: the runner accepted the launch, and no pod ever appeared",
        "The launch call succeeded (the runner returned a run id), yet no pod or owner with that launch was ever "
        "created, and nothing refused it.",
        ("kubectl get pods,jobs -n {ns} -l k8sstress.io/launch-id=<launch-id>",
         "kubectl get events -n {ns} --field-selector reason=FailedCreate"),
        ('sum(rate(apiserver_request_total{{resource="pods", verb="POST"}}[5m]))',),
        {"default": "The runner acknowledged the launch before creating anything, then dropped it: a full "
                    "internal queue, a crash or restart between accept and create, or an error it swallowed."},
        ("Accept a launch only once the create call succeeded, or persist accepted launches and retry them.",
         "Make the runner report such runs as failed (not Pending forever) and expose a counter for dropped launches."),
    ),
    "Orphaned": Play(
        "Orphaned: the runner confirmed the stop, and the pod is still there",
        "The stop call succeeded (the runner may even report Stopped), yet the pod keeps running and holding "
        "resources.",
        (_GET, "kubectl get pod -n {ns} <pod> -o jsonpath='{{.metadata.deletionTimestamp}} {{.metadata.finalizers}}'"),
        ('count(kube_pod_info{{namespace="{ns}"}}) - count(kube_pod_status_phase{{phase=~"Succeeded|Failed", '
         'namespace="{ns}"}} == 1)',),
        {"default": "The runner deleted the wrong object (a Job with orphan propagation leaves its pods), lost "
                    "track of the pod's name, or confirmed the stop before (or instead of) deleting."},
        ("Delete with propagationPolicy Foreground/Background, and confirm a stop only after the delete call "
         "succeeded.",
         "Reconcile periodically: list pods with the runner's labels and delete those of stopped runs."),
    ),
}

RUNNER_PLAYS: dict[str, Play] = {
    "errors": Play(
        "Runner errors and back-pressure",
        "Launch calls fail or are refused (4xx/5xx, timeouts); with back-pressure the runner answers 429.",
        ("kubectl logs -n <runner-namespace> deploy/<runner> --since=30m | grep -i -e error -e 429",),
        ('sum by (code) (rate(apiserver_request_total{{code=~"429|5.."}}[5m]))',
         'histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket[5m])))'),
        {"default": "The runner or the apiserver behind it is saturated, or the runner passes cluster refusals on."},
        ("Answer 429 with Retry-After when the cluster cannot take more work, instead of accepting launches that "
         "will sit Pending or be lost.",
         "Bound the runner's in-flight creates and its client-side QPS to the apiserver."),
    ),
    "drift": Play(
        "Runner state drift",
        "The runner's reported state disagrees with the cluster for longer than the grace: it says Running for a "
        "pod that was evicted or OOM-killed, Pending for one that finished, Stopped for one that still runs.",
        ("kubectl get pods -n {ns} -l {sel} -o custom-columns=NAME:.metadata.name,PHASE:.status.phase,"
         "REASON:.status.reason",),
        ('sum by (phase) (kube_pod_status_phase{{namespace="{ns}"}})',),
        {"default": "The runner does not watch pods (or its watch broke and it never relisted), maps phases "
                    "wrongly, or caches states without refreshing."},
        ("Follow pods with a watch that resumes (resourceVersion) and relists after 410 Gone.",
         "Derive the run's state from the pod status, including status.reason and container states (OOMKilled)."),
    ),
    "leaks": Play(
        "Pods left behind after a stop",
        "Pods of stopped launches are still present at the end of the run.",
        (_GET,),
        ('count(kube_pod_info{{namespace="{ns}"}})',),
        {"default": "Stops failed or were not confirmed, and nothing cleaned up afterwards."},
        ("Retry failed stops; reconcile leftovers by label.",),
    ),
    "duplicates": Play(
        "Duplicate pods for one launch",
        "Two pods of the same launch were alive at the same time.",
        ("kubectl get pods -n {ns} -l k8sstress.io/launch-id=<launch-id>",),
        (),
        {"default": "The runner retried a create whose first attempt had succeeded (a timeout on the response), "
                    "or a controller and the runner both created a pod."},
        ("Make creates idempotent (a deterministic pod name per run, or check before create).",),
    ),
}
