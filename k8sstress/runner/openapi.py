"""The runner's OpenAPI 3.1 document (served at ``/openapi.json``). Data only."""

from __future__ import annotations

from typing import Any

from k8sstress.runner.policies import POLICIES
from k8sstress.runner.runs import STATES

__all__ = ["openapi_document"]

_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "examples": ["run_not_found", "bad_request", "no_room", "create_refused"]},
        "message": {"type": "string"},
    },
}

_TRANSITION = {
    "type": "object",
    "properties": {
        "sequence": {"type": "integer", "description": "1, 2, ... per run"},
        "state": {"type": "string", "enum": list(STATES)},
        "reason": {"type": ["string", "null"]},
        "message": {"type": ["string", "null"]},
        "seen_at": {"type": "number", "description": "when the runner saw the change (epoch seconds)"},
    },
}

_RUN = {
    "type": "object",
    "properties": {
        "run_id": {"type": "string", "examples": ["r-3f2a9c0d11be"]},
        "launch_id": {"type": "string"},
        "mode": {"type": "string", "enum": ["batch", "online"]},
        "limits": {"type": "string", "enum": ["with", "without"]},
        "template": {"type": "string"},
        "namespace": {"type": "string"},
        "kind": {"type": "string", "enum": ["Pod", "Job"]},
        "name": {"type": ["string", "null"], "description": "the Pod's or Job's name once created"},
        "pod": {"type": ["string", "null"], "description": "the pod carrying the run now"},
        "state": {"type": "string", "enum": list(STATES)},
        "reason": {"type": ["string", "null"],
                   "examples": ["Unschedulable", "OOMKilled", "CrashLoopBackOff", "Evicted", "AdmissionRejected",
                                "CreateRetrying", "PendingTimeout", "Deleted"]},
        "message": {"type": ["string", "null"]},
        "ready": {"type": "boolean"},
        "restarts": {"type": "integer"},
        "attempts": {"type": "integer", "description": "create calls made"},
        "accepted_at": {"type": "number"},
        "updated_at": {"type": "number"},
        "stop_requested_at": {"type": ["number", "null"]},
        "callback_url": {"type": ["string", "null"]},
        "params": {"type": "object"},
        "rebuilt": {"type": "boolean", "description": "rebuilt from the cluster after a runner restart"},
        "history": {"type": "array", "items": _TRANSITION, "description": "GET /runs/{run_id} only"},
    },
}

_LAUNCH = {
    "type": "object",
    "required": ["template"],
    "properties": {
        "template": {"type": "string", "description": "a name from manifests/templates",
                     "examples": ["batch-with-limits", "online-without-limits"]},
        "mode": {"type": "string", "enum": ["batch", "online"],
                 "description": "default: online for restartPolicy Always pods, else batch"},
        "launch_id": {"type": "string", "description": "the caller's id (a label value); default the run id"},
        "run": {"type": "string", "description": "the harness run this launch belongs to (a label value)"},
        "params": {"type": "object", "properties": {
            "memory_usage": {"type": "string", "description": "memory the container ramps to, e.g. 600Mi"},
            "memory_ramp_seconds": {"type": "number"},
            "cpu_busy": {"type": "number", "description": "cores kept busy"},
            "duration_seconds": {"type": "number", "description": "batch: seconds from start to success"},
        }, "additionalProperties": False},
        "callback_url": {"type": "string", "description": "POSTed a CallbackReport on every state change"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "spec": {"type": "object", "description": "pod spec overrides: nodeSelector, tolerations, priorityClassName"},
    },
}

_CALLBACK = {
    "type": "object",
    "description": "The body POSTed to callback_url on each state change (at least once; order by sequence).",
    "properties": {**_TRANSITION["properties"],  # type: ignore[dict-item]
                   "run_id": {"type": "string"}, "launch_id": {"type": "string"},
                   "previous_state": {"type": ["string", "null"]}, "namespace": {"type": "string"},
                   "kind": {"type": "string"}, "name": {"type": ["string", "null"]},
                   "pod": {"type": ["string", "null"]}, "ready": {"type": "boolean"},
                   "restarts": {"type": "integer"}},
}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def openapi_document(policy: str) -> dict[str, Any]:
    policies = "; ".join(f"`{p.name}`: {p.summary}" for p in POLICIES.values())
    return {
        "openapi": "3.1.0",
        "info": {"title": "k8sstress reference job runner", "version": "1",
                 "description": "Launches Batch and Online node pods, stops them, follows their state "
                                f"(kopf) and reports it. This instance's policy: `{policy}`. Policies: {policies}."},
        "paths": {
            "/runs": {
                "post": {"summary": "Launch a node run", "operationId": "launch",
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"$ref": "#/components/schemas/LaunchRequest"}}}},
                         "callbacks": {"stateChange": {"{$request.body#/callback_url}": {"post": {
                             "requestBody": {"content": {"application/json": {
                                 "schema": {"$ref": "#/components/schemas/CallbackReport"}}}},
                             "responses": {"200": {"description": "received"}}}}}},
                         "responses": {
                             "201": _json("Run", "created: the Pod or Job exists"),
                             "202": _json("Run", "accepted: the create is being retried (retry) or its error "
                                                 "was ignored (naive)"),
                             "400": _json("Error", "bad request (unknown template, bad params)"),
                             "422": _json("Error", "the API server refused the create for good "
                                                   "(quota, LimitRange, validation); the run is Failed"),
                             "429": _json("Error", "backpressure: no room in the quota or on the nodes; "
                                                   "see Retry-After"),
                             "502": _json("Error", "the API server failed or could not be reached"),
                         }},
                "get": {"summary": "List runs", "operationId": "listRuns",
                        "parameters": [
                            {"name": "state", "in": "query", "schema": {"type": "string", "enum": list(STATES)}},
                            {"name": "launch_id", "in": "query", "schema": {"type": "string"}},
                            {"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                        "responses": {"200": {"description": "runs", "content": {"application/json": {"schema": {
                            "type": "object", "properties": {
                                "count": {"type": "integer"},
                                "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                                "runs": {"type": "array", "items": {"$ref": "#/components/schemas/Run"}}}}}}}}},
            },
            "/runs/{run_id}": {
                "parameters": [{"name": "run_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "get": {"summary": "A run's state and history", "operationId": "getRun",
                        "responses": {"200": _json("Run", "the run"), "404": _json("Error", "no such run")}},
                "delete": {"summary": "Stop a run (delete its Pod or Job)", "operationId": "stopRun",
                           "responses": {"200": _json("Run", "stopped, or had already ended"),
                                         "202": _json("Run", "deleting; the state turns Stopped when the "
                                                             "pod is gone"),
                                         "404": _json("Error", "no such run"),
                                         "502": _json("Error", "the delete failed")}},
            },
            "/runs/{run_id}/stop": {
                "parameters": [{"name": "run_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "post": {"summary": "Stop a run (same as DELETE /runs/{run_id})", "operationId": "stopRunPost",
                         "responses": {"200": _json("Run", "stopped"), "202": _json("Run", "deleting"),
                                       "404": _json("Error", "no such run")}},
            },
            "/healthz": {"get": {"summary": "Liveness and a summary", "operationId": "health",
                                 "responses": {"200": {"description": "ok"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "operationId": "metrics",
                                 "responses": {"200": {"description": "text exposition format"}}}},
            "/openapi.json": {"get": {"summary": "This document", "operationId": "openapi",
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        },
        "components": {"schemas": {"LaunchRequest": _LAUNCH, "Run": _RUN, "Transition": _TRANSITION,
                                   "CallbackReport": _CALLBACK, "Error": _ERROR}},
    }
