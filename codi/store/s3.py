"""An S3-compatible store (``s3://bucket/prefix``, the ``codi[s3]`` extra: obstore).

The endpoint is ``?endpoint=URL`` in the store URL, else ``AWS_ENDPOINT_URL`` (AWS itself when
neither is set); credentials and region come from the usual ``AWS_*`` variables. The URL is
passed to the workers as is, so each opens the same store.

Uploads are write-once where the server supports conditional puts (``If-None-Match: *``,
obstore's ``mode="create"``): content-keyed objects (``results/``, ``runs/``, or any put with
``once=True``) are never replaced, so two workers that lint the same content cannot interleave
their files. Other objects (reports) are replaced, as in the local store. A server without
conditional puts gets plain puts.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from codi.store.protocol import StoreError

if TYPE_CHECKING:
    from obstore.store import ClientConfig, RetryConfig

WRITE_ONCE = ("results/", "runs/")  # keys named by content: the first upload stands
# quick=True: one retry and short timeouts, not obstore's 10 retries over up to 3 minutes.
QUICK_RETRY: RetryConfig = {"max_retries": 1, "retry_timeout": timedelta(seconds=5)}
QUICK_TIMEOUTS: ClientConfig = {"connect_timeout": "3s", "timeout": "10s"}


def _obstore(name: str) -> Any:
    try:
        import obstore
    except ImportError:
        raise StoreError(f"{name} s3://: obstore is not installed (pip install 'codi[s3]')") from None
    return obstore


class S3Store:
    """``s3://bucket[/prefix][?endpoint=http://host:port]``."""

    def __init__(self, url: str, *, name: str = "--store", quick: bool = False) -> None:
        obstore = _obstore(name)
        from obstore.store import S3Store as ObS3Store

        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise StoreError(f"{name} {url}: expected s3://BUCKET[/PREFIX][?endpoint=URL]")
        query = parse_qs(parts.query)
        unknown = sorted(set(query) - {"endpoint"})
        if unknown:
            raise StoreError(f"{name} {url}: unknown option(s) {', '.join(unknown)} (known: endpoint)")
        self.url = url
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.endpoint = (query.get("endpoint") or [""])[0] or os.environ.get("AWS_ENDPOINT_URL") or None
        config: dict[str, Any] = {}
        if self.endpoint:
            config["endpoint"] = self.endpoint
        client: ClientConfig = QUICK_TIMEOUTS.copy() if quick else {}
        if (self.endpoint or "").startswith("http://"):
            client["allow_http"] = True
        if quick:
            config["retry_config"] = QUICK_RETRY
        self._ob = obstore
        self._conditional = True
        try:
            self._store = ObS3Store(self.bucket, prefix=self.prefix or None, client_options=client or None, **config)
        except Exception as exc:  # obstore's configuration errors
            raise StoreError(f"{name} {url}: {exc}") from None

    @staticmethod
    def _key(key: str) -> str:
        parts = [p for p in key.split("/") if p]
        if not parts or any(p in (".", "..") for p in parts):
            raise StoreError(f"bad store key {key!r}")
        return "/".join(parts)

    def put(self, key: str, data: bytes, *, once: bool = False) -> None:
        from obstore.exceptions import AlreadyExistsError, NotSupportedError, PreconditionError

        path = self._key(key)
        if self._conditional and (once or path.startswith(WRITE_ONCE)):
            try:
                self._ob.put(self._store, path, data, mode="create")
                return
            except (AlreadyExistsError, PreconditionError):
                return  # the same content's object is already there: it stands
            except NotSupportedError:
                self._conditional = False  # this server has no conditional puts: plain puts from now on
        self._ob.put(self._store, path, data)

    def get(self, key: str) -> bytes | None:
        from obstore.exceptions import NotFoundError

        try:
            return bytes(self._ob.get(self._store, self._key(key)).bytes())
        except (NotFoundError, FileNotFoundError):
            return None

    def exists(self, key: str) -> bool:
        from obstore.exceptions import NotFoundError

        try:
            self._ob.head(self._store, self._key(key))
        except (NotFoundError, FileNotFoundError):
            return False
        return True

    def locate(self, key: str) -> str:
        return "s3://" + "/".join(p for p in (self.bucket, self.prefix, self._key(key)) if p)
