"""The local review page (``unseen review``): a Starlette app on uvicorn, bound to loopback, behind a
random token, serving only the files under the paths it was given (docs/REVIEW.md). Optional: the
``review`` extra; :func:`require_review` says how to install it when missing."""

from __future__ import annotations

from ..errors import ConfigError

INSTALL_HINT = "the review page needs the 'review' extra: pip install 'unseen[review]'"


def require_review() -> None:
    """Raise ConfigError (exit status 2) with the install hint when Starlette or uvicorn is missing."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
