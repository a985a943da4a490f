"""The service's limits, apart so that the command line shows them without the service."""

__all__ = ["DEFAULT_UPLOAD_LIMIT"]

DEFAULT_UPLOAD_LIMIT = 256 * 1024 * 1024
"""The largest upload a service takes, in bytes, unless told otherwise."""
