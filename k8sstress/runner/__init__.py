"""The reference job runner: an HTTP service plus kopf handlers, standing in for ms-kubernetes-job-runner."""
