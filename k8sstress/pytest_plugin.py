"""pytest plugin (entry point ``k8sstress``): opt-in fixtures for running stress scenarios in CI.

Nothing here runs unless a test asks for one of the ``k8sstress_*`` fixtures.
"""
