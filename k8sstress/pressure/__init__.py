"""The sim backend's kubelet stand-in: per-pod usage, OOM kills, node pressure and ranked eviction, all marked simulated."""
