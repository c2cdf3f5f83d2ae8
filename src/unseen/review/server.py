"""Start the review page: check the address, make the token, print the URL on its own line, open
the browser, serve with uvicorn until interrupted."""

from __future__ import annotations

import socket
import webbrowser
from pathlib import Path
from typing import IO, Any

from . import require_review
from .files import Workspace
from .security import check_bind, new_token


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def make_server(
    paths: list[Path], *, out: Path | None, host: str, port: int, allow_remote: bool, err: IO[str]
) -> tuple[Any, str]:
    """A configured uvicorn Server and the page's URL (with the token); nothing listens yet."""
    require_review()
    import uvicorn

    from .app import Review, build_app

    warning = check_bind(host, allow_remote)
    if warning:
        print(warning, file=err)
    port = port or free_port(host)
    token = new_token()
    shown = f"[{host}]" if ":" in host else host
    hosts = {f"{shown}:{port}"}
    if host in ("127.0.0.1", "localhost"):
        hosts |= {f"127.0.0.1:{port}", f"localhost:{port}"}
    app = build_app(Review(Workspace(paths, out)), token=token, hosts=hosts)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config), f"http://{shown}:{port}/?token={token}"


def serve(
    paths: list[Path],
    *,
    out: Path | None,
    host: str,
    port: int,
    open_browser: bool,
    allow_remote: bool,
    stdout: IO[str],
    err: IO[str],
) -> int:
    server, url = make_server(paths, out=out, host=host, port=port, allow_remote=allow_remote, err=err)
    print(url, file=stdout, flush=True)
    if open_browser:
        webbrowser.open(url)
    server.run()
    return 0
