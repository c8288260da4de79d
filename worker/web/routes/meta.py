"""The API's own pages: the OpenAPI document, tokens, and the config export."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import _actions as A
from .._api import TokenIn, TokenOut, body, json_out, openapi
from .._context import ctx_of, render


async def openapi_json(request: Request) -> Response:
    return JSONResponse(openapi())


async def settings_page(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.session() as s:
        tokens = A.list_tokens(s)
    return render(request, "settings.html", tokens=tokens, new_token=None)


async def token_create(request: Request) -> Response:
    ctx = ctx_of(request)
    form = await request.form()
    with ctx.session() as s:
        token, _ = A.create_token(s, str(form.get("name") or "console"), ctx.now())
        tokens = A.list_tokens(s)
    return render(request, "settings.html", tokens=tokens, new_token=token)


async def token_revoke(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.session() as s:
        A.revoke_token(s, int(request.path_params["id"]))
    return RedirectResponse("/settings", status_code=303)


async def config_export(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.session() as s:
        text = A.export_config(ctx.config(), s)
    return Response(text, media_type="application/yaml; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="newsradar.yaml"'})


async def api_token_create(request: Request) -> Response:
    ctx = ctx_of(request)
    data = await body(request, TokenIn)
    with ctx.session() as s:
        token, row = A.create_token(s, data.name, ctx.now())
    return JSONResponse(TokenOut(token=token, id=row.id, name=row.name).model_dump(), status_code=201)


async def api_tokens(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.session() as s:
        return json_out(A.list_tokens(s))


async def api_token_revoke(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.session() as s:
        A.revoke_token(s, int(request.path_params["id"]))
    return Response(status_code=204)


routes = [
    Route("/api/v1/openapi.json", openapi_json),
    Route("/settings", settings_page),
    Route("/settings/tokens", token_create, methods=["POST"]),
    Route("/settings/tokens/{id:int}/revoke", token_revoke, methods=["POST"]),
    Route("/config/export", config_export),
    Route("/api/v1/config/export", config_export),
    Route("/api/v1/tokens", api_tokens, methods=["GET"]),
    Route("/api/v1/tokens", api_token_create, methods=["POST"]),
    Route("/api/v1/tokens/{id:int}", api_token_revoke, methods=["DELETE"]),
]
