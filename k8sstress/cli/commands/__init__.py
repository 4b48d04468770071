"""One module per ``k8sstress`` command; each exposes ``register(subparsers)``."""
