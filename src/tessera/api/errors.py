"""How every error leaves the HTTP API: ``{"error": {"code", "message"}}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from tessera.errors import TesseraError


def install_error_handlers(app: FastAPI) -> None:
    """A ``TesseraError`` answers with its status and code; a request body that does not
    validate answers 422 ``invalid_input`` with the validators' messages."""

    @app.exception_handler(TesseraError)
    async def tessera_error(_: Request, exc: TesseraError) -> JSONResponse:
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        messages = [str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors()]
        return JSONResponse(
            {"error": {"code": "invalid_input", "message": "; ".join(messages)}},
            status_code=422,
        )
