"""What a model provider's failure means to a user: one wording for every provider."""

from __future__ import annotations

from urllib.parse import urlsplit

from tessera.errors import ProviderAuthError, ProviderError, ProviderRateLimited


def host_of(base_url: str | None) -> str | None:
    """``host[:port]`` of a base URL, for labels and messages."""
    if not base_url:
        return None
    parts = urlsplit(base_url)
    return parts.hostname and (f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname)


def status_failure(
    *,
    status: int,
    detail: str,
    retry_after: str | None,
    where: str,
    model: str,
    key_variable: str,
) -> ProviderError:
    """An HTTP error status from the provider at ``where``."""
    if status in (401, 403):
        return ProviderAuthError(
            f"The model provider ({where}) rejected the API key (HTTP {status}: {detail}). "
            f"Set {key_variable} to a valid key for it and restart Tessera."
        )
    if status == 429:
        wait = f"wait {retry_after} s" if retry_after else "wait a moment"
        return ProviderRateLimited(
            f"The model provider ({where}) is limiting requests (HTTP 429: {detail}). "
            f"Please {wait} and try again, or check your plan's limits."
        )
    hint = (
        f" Check that the model “{model}” exists there (TESSERA_LLM_MODEL)."
        if status == 404
        else ""
    )
    return ProviderError(f"The model provider ({where}) answered HTTP {status}: {detail}.{hint}")


def timeout_failure(where: str) -> ProviderError:
    return ProviderError(
        f"The model at {where} did not answer in time. Try again; if it keeps happening, "
        "the model may be overloaded or too slow for this machine."
    )


def connection_failure(where: str) -> ProviderError:
    return ProviderError(
        f"Tessera could not reach the model at {where}. Check the network, and that "
        "TESSERA_LLM_BASE_URL (when set) points at a running server."
    )
