"""Observation: list+watch of pods, events, nodes and owners; per-pod timelines; record and replay."""
