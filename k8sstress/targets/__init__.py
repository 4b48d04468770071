"""Targets: one adapter per runner under test (direct, job, reference, http) behind one small interface."""
