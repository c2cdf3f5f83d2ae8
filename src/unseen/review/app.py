"""The review page's routes (Starlette). The plan file on disk is the state: every edit loads it,
changes it, checks it by the loader's rules and saves it (atomically) before answering."""

from __future__ import annotations

import dataclasses
import datetime
import math
import threading
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ..errors import UnseenError
from ..plan import Keyframe, Plan, Region, Rejection, load_plan, save_plan
from ..plan.encode import plan_to_json
from ..settings import Settings
from . import engine
from .files import MediaFile, Workspace
from .security import Guard

STATIC = Path(__file__).with_name("static")
_STATIC_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css"}


class BadRequest(Exception):
    pass


@dataclasses.dataclass
class RenderJob:
    state: str = "idle"  # idle, running, done, failed
    progress: float = 0.0
    message: str = ""
    output: str = ""


class Review:
    """The state behind the routes: the workspace, the settings, a lock per file, render jobs."""

    def __init__(self, workspace: Workspace, settings: Settings | None = None):
        self.ws = workspace
        self.settings = settings or Settings()
        self._locks: dict[str, threading.Lock] = {f.id: threading.Lock() for f in workspace.files}
        self.jobs: dict[str, RenderJob] = {}

    def plan(self, f: MediaFile) -> Plan:
        """The file's plan from disk, made (detected) and saved on first open."""
        path = self.ws.plan_path(f)
        if path.exists():
            return load_plan(path, media_path=f.path)
        plan = engine.make_file_plan(f.path, self.settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        save_plan(plan, path)
        return plan

    def edit(self, f: MediaFile, change: Any) -> Plan:
        with self._locks[f.id]:
            plan = change(self.plan(f))
            save_plan(plan, self.ws.plan_path(f), overwrite=True)
            return plan


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadRequest(f"{what} must be a finite number")
    return float(value)


def _box(value: Any, plan: Plan) -> tuple[float, float, float, float]:
    if not isinstance(value, list) or len(value) != 4:
        raise BadRequest("box must be [x1, y1, x2, y2]")
    x1, y1, x2, y2 = (_number(v, "box") for v in value)
    if not (x2 > x1 and y2 > y1):
        raise BadRequest("box must have x2 > x1 and y2 > y1")
    w, h = plan.input.width, plan.input.height
    if x1 < 0 or y1 < 0 or x2 > w or y2 > h:
        raise BadRequest(f"box {[x1, y1, x2, y2]} lies outside the {w}x{h} frame")
    return (x1, y1, x2, y2)


def _region(body: Any, plan: Plan) -> Region:
    if not isinstance(body, dict):
        raise BadRequest("expected a JSON object")
    box = _box(body.get("box"), plan)
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > 500:
        raise BadRequest("note must be text (500 characters at most)")
    if plan.input.kind == "image":
        return Region("frame", 0, 0, (Keyframe(0, box),), note)
    start, end = _number(body.get("start"), "start"), _number(body.get("end"), "end")
    duration = plan.input.duration
    if start < 0 or end < start or (duration is not None and end > duration + 1e-6):
        raise BadRequest("start and end must be seconds within the video, start <= end")
    at = _number(body.get("at", start), "at")
    if not start <= at <= end:
        raise BadRequest("the keyframe time must lie between start and end")
    return Region("time", start, end, (Keyframe(at, box),), note)


def _moved(old: Region, body: Any, plan: Plan) -> Region:
    """A region moved (or resized) at one moment: the box becomes the keyframe at that moment (one
    already there, within half a frame, is replaced) and every other keyframe is kept, in the
    region's own unit (a region counted in frames stays in frames). ``start``/``end`` (seconds) are
    optional: absent, the region keeps its span; given, they set it, and keyframes outside it go.
    A photo's region is simply replaced."""
    if not isinstance(body, dict):
        raise BadRequest("expected a JSON object")
    box = _box(body.get("box"), plan)
    if plan.input.kind == "image":
        new = _region(body, plan)
        return new if "note" in body else dataclasses.replace(new, note=old.note)
    fps = plan.input.fps or 25.0
    at = _number(body.get("at"), "at")
    frame = body.get("frame")
    if old.unit == "frame":
        key_at: float = float(round(_number(frame, "frame") if frame is not None else at * fps))
        tolerance = 0.5
        start, end = old.start, old.end
        if "start" in body or "end" in body:
            start = float(round(_number(body.get("start", old.start / fps), "start") * fps))
            end = float(round(_number(body.get("end", old.end / fps), "end") * fps))
        last = (plan.input.frame_count or 1) - 1
        bounds_ok = 0 <= start <= end <= last
    else:
        key_at, tolerance = at, 0.5 / fps
        start = _number(body.get("start", old.start), "start")
        end = _number(body.get("end", old.end), "end")
        duration = plan.input.duration
        bounds_ok = 0 <= start <= end and (duration is None or end <= duration + 1e-6)
    if not bounds_ok:
        raise BadRequest("start and end must lie within the video, start <= end")
    if not start <= key_at <= end:
        raise BadRequest("the keyframe time must lie between the region's start and end")
    note = body.get("note", old.note)
    if not isinstance(note, str) or len(note) > 500:
        raise BadRequest("note must be text (500 characters at most)")
    kept = [k for k in old.keyframes if abs(k.at - key_at) > tolerance and start <= k.at <= end]
    keys = sorted([*kept, Keyframe(key_at, box)], key=lambda k: k.at)
    return Region(old.unit, start, end, tuple(keys), note)


def _index(value: str, count: int, what: str) -> int:
    if not value.isdigit() or int(value) >= count:
        raise BadRequest(f"no {what} {value}")
    return int(value)


def build_app(review: Review, *, token: str, hosts: set[str]) -> Guard:
    """The ASGI app: the routes behind the token, Host/Origin and CSP guard."""

    def file_of(request: Request) -> MediaFile:
        return review.ws.get(request.path_params["fid"])

    def plan_json(f: MediaFile, plan: Plan) -> JSONResponse:
        return JSONResponse({"file": _file_json(review, f, plan), "plan": plan_to_json(plan)})

    def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type=_STATIC_TYPES[".html"])

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        path = STATIC / name
        if "/" in name or path.suffix not in _STATIC_TYPES or not path.is_file():
            return Response("not found\n", 404)
        return FileResponse(path, media_type=_STATIC_TYPES[path.suffix])

    def files(request: Request) -> JSONResponse:
        rows = []
        for f in review.ws.files:
            plan = None
            if review.ws.plan_path(f).exists():
                try:
                    plan = load_plan(review.ws.plan_path(f), media_path=f.path)
                except UnseenError:
                    plan = None
            rows.append(_file_json(review, f, plan))
        rows.sort(key=lambda r: (-r["top_risk"], -r["flags"], r["name"]))
        return JSONResponse({"files": rows})

    def get_plan(request: Request) -> JSONResponse:
        f = file_of(request)
        return plan_json(f, review.plan(f))

    def media(request: Request) -> Response:
        f = file_of(request)
        return FileResponse(f.path)

    def output(request: Request) -> Response:
        f = file_of(request)
        out = review.ws.output_path(f)
        if not out.is_file():
            return Response("not rendered yet\n", 404)
        return FileResponse(out)

    async def add_region(request: Request) -> JSONResponse:
        f = file_of(request)
        body = await _json(request)

        def change(plan: Plan) -> Plan:
            return dataclasses.replace(plan, regions=plan.regions + (_region(body, plan),))

        return plan_json(f, review.edit(f, change))

    async def put_region(request: Request) -> JSONResponse:
        f = file_of(request)
        body = await _json(request)

        def change(plan: Plan) -> Plan:
            i = _index(request.path_params["i"], len(plan.regions), "region")
            regions = list(plan.regions)
            regions[i] = _moved(regions[i], body, plan)
            return dataclasses.replace(plan, regions=tuple(regions))

        return plan_json(f, review.edit(f, change))

    def delete_region(request: Request) -> JSONResponse:
        f = file_of(request)

        def change(plan: Plan) -> Plan:
            i = _index(request.path_params["i"], len(plan.regions), "region")
            return dataclasses.replace(plan, regions=plan.regions[:i] + plan.regions[i + 1 :])

        return plan_json(f, review.edit(f, change))

    async def decide_box(request: Request) -> JSONResponse:
        f = file_of(request)
        body = await _json(request)
        if not isinstance(body, dict):
            raise BadRequest("expected a JSON object")
        reject = body.get("rejected")
        if not isinstance(reject, bool):
            raise BadRequest("rejected must be true or false")
        by = body.get("by", "reviewer")
        why = body.get("why", "")
        if not isinstance(by, str) or not isinstance(why, str) or not by.strip() or len(by) > 200 or len(why) > 500:
            raise BadRequest("by must be a name (200 characters at most), why text (500 at most)")

        def change(plan: Plan) -> Plan:
            frame = plan.frame(int(_number(body.get("frame", 0), "frame")))
            if frame is None:
                raise BadRequest("no boxes in that frame")
            k = _index(str(body.get("box", "")), len(frame.boxes), "box")
            at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
            boxes = list(frame.boxes)
            boxes[k] = dataclasses.replace(boxes[k], rejected=Rejection(by, at, why) if reject else None)
            new = dataclasses.replace(frame, boxes=tuple(boxes))
            return dataclasses.replace(plan, frames=tuple(new if x.index == frame.index else x for x in plan.frames))

        return plan_json(f, review.edit(f, change))

    def start_render(request: Request) -> JSONResponse:
        f = file_of(request)
        job = review.jobs.get(f.id)
        if job is not None and job.state == "running":
            return JSONResponse(dataclasses.asdict(job), 409)
        plan = review.plan(f)
        job = review.jobs[f.id] = RenderJob("running", 0.0, "rendering")
        out = review.ws.output_path(f)

        def work() -> None:
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
                settings = dataclasses.replace(review.settings, overwrite=True)

                def frames(done: int, total: int | None) -> None:
                    if total:
                        job.progress = min(done / total, 0.99)

                engine.render_file(f.path, plan, out, settings, progress=frames)
                job.state, job.progress, job.message, job.output = "done", 1.0, "written and verified", out.name
            except UnseenError as exc:
                job.state, job.message = "failed", exc.message
            except Exception as exc:  # the page must learn of it; nothing was committed
                job.state, job.message = "failed", f"{type(exc).__name__}: {exc}"

        threading.Thread(target=work, name=f"render-{f.id}", daemon=True).start()
        return JSONResponse(dataclasses.asdict(job), 202)

    def render_status(request: Request) -> JSONResponse:
        f = file_of(request)
        return JSONResponse(dataclasses.asdict(review.jobs.get(f.id, RenderJob())))

    routes = [
        Route("/", index),
        Route("/static/{name}", static),
        Route("/api/files", files),
        Route("/api/files/{fid}/plan", get_plan),
        Route("/api/files/{fid}/media", media),
        Route("/api/files/{fid}/output", output),
        Route("/api/files/{fid}/regions", add_region, methods=["POST"]),
        Route("/api/files/{fid}/regions/{i}", put_region, methods=["PUT"]),
        Route("/api/files/{fid}/regions/{i}", delete_region, methods=["DELETE"]),
        Route("/api/files/{fid}/boxes", decide_box, methods=["POST"]),
        Route("/api/files/{fid}/render", start_render, methods=["POST"]),
        Route("/api/files/{fid}/render", render_status, methods=["GET"]),
    ]

    async def bad_request(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, 400)

    async def unseen_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UnseenError)
        status = 404 if "no such file" in exc.reason else 400
        return JSONResponse({"error": exc.message}, status)

    app = Starlette(routes=routes, exception_handlers={BadRequest: bad_request, UnseenError: unseen_error})
    return Guard(app, token=token, hosts=hosts)


async def _json(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > 64 * 1024:
        raise BadRequest("request too large")
    import json

    try:
        return json.loads(raw, parse_constant=lambda c: (_ for _ in ()).throw(BadRequest("not a number: " + c)))
    except ValueError:
        raise BadRequest("malformed JSON") from None


def _file_json(review: Review, f: MediaFile, plan: Plan | None) -> dict[str, Any]:
    flags = () if plan is None else plan.flags
    return {
        "id": f.id,
        "name": f.path.name,
        "kind": f.kind,
        "planned": plan is not None,
        "flags": len(flags),
        "top_risk": max((fl.risk for fl in flags), default=0),
        "boxes": 0 if plan is None else plan.box_count,
        "rendered": review.ws.output_path(f).is_file(),
    }
