"""The one seam for Kubernetes API I/O (synchronous, raw JSON).

Everything that talks to a kube-apiserver from the harness goes through
:class:`Kube`: raw JSON in and out (no model deserialisation on hot paths), typed
API errors. Tests stub nothing here: integration tests use the real sim cluster.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import urllib3
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException

from k8sstress.errors import ClusterError, InputError
from k8sstress.records import RawObject

__all__ = ["Kube", "ApiError", "api_error_from"]


class ApiError(ClusterError):
    """An API call answered with an HTTP error; ``status``, ``reason`` and ``body`` kept."""

    def __init__(self, status: int, reason: str, message: str, body: RawObject | None = None) -> None:
        super().__init__(f"HTTP {status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.api_message = message
        self.body = body or {}


def api_error_from(exc: ApiException) -> ApiError:
    body: RawObject = {}
    try:
        body = json.loads(exc.body) if exc.body else {}
    except (TypeError, ValueError):
        body = {}
    return ApiError(int(exc.status or 0), str(body.get("reason") or exc.reason or ""),
                    str(body.get("message") or exc.body or exc.reason), body)


class Kube:
    """A raw-JSON client for one cluster, built from a kubeconfig file."""

    def __init__(self, kubeconfig: str, context: str | None = None, qps_pool: int = 64) -> None:
        cfg = k8s_client.Configuration()
        try:
            k8s_config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=cfg)
        except Exception as exc:  # the loader raises many types for a bad file
            raise InputError(f"cannot load kubeconfig {kubeconfig}: {exc}") from exc
        cfg.connection_pool_maxsize = qps_pool
        cfg.retries = False
        self.configuration = cfg
        self.kubeconfig = kubeconfig
        self.api = k8s_client.ApiClient(cfg)

    # -- typed APIs, for the few places that want them -----------------------------------
    @property
    def core(self) -> k8s_client.CoreV1Api:
        return k8s_client.CoreV1Api(self.api)

    @property
    def batch(self) -> k8s_client.BatchV1Api:
        return k8s_client.BatchV1Api(self.api)

    @property
    def apps(self) -> k8s_client.AppsV1Api:
        return k8s_client.AppsV1Api(self.api)

    # -- raw JSON --------------------------------------------------------------------------
    def _open(self, method: str, path: str, body: Any, query: dict[str, Any] | None,
              timeout: float | tuple[float, float], content_type: str) -> Any:
        """Send one request; return the urllib3 response (unread); raise :class:`ApiError` on >= 400."""
        m, url, headers, sbody, post = self.api.param_serialize(
            method=method, resource_path=path,
            query_params=list((query or {}).items()) or None,
            header_params={"Accept": "application/json", "Content-Type": content_type},
            body=body, auth_settings=["BearerToken"],
        )
        try:
            resp = self.api.call_api(m, url, header_params=headers, body=sbody, post_params=post,
                                     _request_timeout=timeout)
        except ApiException as exc:
            raise api_error_from(exc) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise ClusterError(f"cannot reach the API server: {exc}") from exc
        if resp.status >= 400:
            exc2 = ApiException(status=resp.status, reason=resp.reason)
            exc2.body = resp.read()
            raise api_error_from(exc2)
        return resp

    def request(self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None,
                timeout: float | tuple[float, float] = 30, content_type: str = "application/json") -> Any:
        """One API call; returns parsed JSON; raises :class:`ApiError` on HTTP errors."""
        resp = self._open(method, path, body, query, timeout, content_type)
        try:
            raw = resp.read()
        except urllib3.exceptions.HTTPError as exc:
            raise ClusterError(f"cannot reach the API server: {exc}") from exc
        return json.loads(raw) if raw else None

    def get(self, path: str, **query: Any) -> Any:
        return self.request("GET", path, query=query or None)

    def create(self, path: str, body: RawObject) -> RawObject:
        return self.request("POST", path, body=body)  # type: ignore[no-any-return]

    def delete(self, path: str, **query: Any) -> Any:
        return self.request("DELETE", path, query=query or None)

    def patch(self, path: str, body: Any, merge: bool = True) -> Any:
        ct = "application/merge-patch+json" if merge else "application/json-patch+json"
        return self.request("PATCH", path, body=body, content_type=ct)

    def watch_lines(self, path: str, resource_version: str | None, timeout_s: int = 60,
                    label_selector: str | None = None, bookmarks: bool = True) -> Iterator[RawObject]:
        """Stream a watch as parsed JSON event dicts ``{"type", "object"}``, one per line."""
        query: dict[str, Any] = {"watch": "true", "timeoutSeconds": timeout_s}
        if resource_version:
            query["resourceVersion"] = resource_version
        if bookmarks:
            query["allowWatchBookmarks"] = "true"
        if label_selector:
            query["labelSelector"] = label_selector
        resp = self._open("GET", path, None, query, (10, timeout_s + 10), "application/json")
        r = resp.response
        try:
            buf = b""
            for chunk in r.stream(65536, decode_content=False):
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
            if buf.strip():
                yield json.loads(buf)
        except urllib3.exceptions.HTTPError as exc:  # the connection broke mid-stream
            raise ClusterError(f"watch of {path} interrupted: {exc}") from exc
        finally:
            r.release_conn()

    def close(self) -> None:
        self.api.close()
