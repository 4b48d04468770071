from __future__ import annotations

from k8sstress.classify.eviction import ContainerUsage, eviction_event_detail, parse_eviction_message

MEMORY = ("The node was low on resource: memory. Threshold quantity: 100Mi, available: 87304Ki. "
          "Container worker was using 1843Mi, request is 128Mi, has larger consumption of memory. "
          "Container sidecar was using 310Mi, request is 64Mi, has larger consumption of memory. ")


def test_memory_eviction_message_with_containers():
    m = parse_eviction_message(MEMORY)
    assert m.resource == "memory"
    assert (m.threshold, m.available) == ("100Mi", "87304Ki")
    assert m.containers == (
        ContainerUsage("worker", "1843Mi", "128Mi", "memory"),
        ContainerUsage("sidecar", "310Mi", "64Mi", "memory"),
    )
    assert m.as_detail()["containers"][0] == {"container": "worker", "usage": "1843Mi", "request": "128Mi",
                                              "resource": "memory"}


def test_nodefs_eviction_names_ephemeral_storage():
    m = parse_eviction_message("The node was low on resource: ephemeral-storage. Threshold quantity: 2Gi, "
                               "available: 1536Mi. Container app was using 3Gi, request is 0, has larger "
                               "consumption of ephemeral-storage. ")
    assert m.resource == "ephemeral-storage"
    assert m.containers[0].request == "0"


def test_pod_ephemeral_storage_limit():
    m = parse_eviction_message("Pod ephemeral local storage usage exceeds the total limit of containers 1Gi. ")
    assert (m.resource, m.limit) == ("ephemeral-storage", "1Gi")


def test_container_ephemeral_limit_and_emptydir():
    m = parse_eviction_message('Container app exceeded its local ephemeral storage limit "500Mi". ')
    assert (m.resource, m.limit, m.containers[0].container) == ("ephemeral-storage", "500Mi", "app")
    m = parse_eviction_message('Usage of EmptyDir volume "scratch" exceeds the limit "1Gi". ')
    assert (m.resource, m.limit) == ("ephemeral-storage", "1Gi")


def test_pressure_rejection_names_the_condition():
    m = parse_eviction_message("Pod was rejected: The node had condition: [MemoryPressure]. ")
    assert m.node_conditions == ("MemoryPressure",)
    assert m.resource == "memory"


def test_unknown_message_gives_nothing():
    m = parse_eviction_message("Pod was terminated in response to imminent node shutdown.")
    assert m.resource is None and m.containers == () and m.as_detail() == {}


def test_event_annotations():
    resource, containers = eviction_event_detail({
        "offending_containers": "worker,sidecar", "offending_containers_usage": "1843Mi,310Mi",
        "starved_resource": "memory"})
    assert resource == "memory"
    assert [(c.container, c.usage) for c in containers] == [("worker", "1843Mi"), ("sidecar", "310Mi")]
