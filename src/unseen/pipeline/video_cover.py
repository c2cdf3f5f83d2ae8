"""Covering one video frame: on its YUV planes where that is exact, else through RGB.

A solid cover on a 4:2:0 video written in the same format is painted on the YUV planes: no RGB
round trip (two colour conversions per covered frame), and the pixels outside the covers stay
exactly as decoded. Any other case (mosaic, blur, another pixel format, odd sizes, a frame whose
format or size differs from the stream's) takes the RGB path.
"""

from __future__ import annotations

import av

from ..cover import apply_cover, regions_for
from ..cover.kinds import cover_regions
from ..cover.looks import solid_i420
from ..geometry import without_contained
from ..media.video_reader import VideoInfo
from ..media.video_writer import PLANAR_420, fill_yuv, from_rgb, to_rgb
from ..settings import Settings
from ..types import Faces, Regions
from .report import VideoCounters


class FrameCover:
    """Covers frames of one video for one writer, counting what it paints in ``counters``."""

    def __init__(self, info: VideoInfo, settings: Settings, out_pix_fmt: str, counters: VideoCounters):
        self.info = info
        self.settings = settings
        self.out_pix_fmt = out_pix_fmt
        self.counters = counters
        self.planar_fill: tuple[int, int, int] | None = None
        if (
            settings.mode == "solid"
            and out_pix_fmt in PLANAR_420
            and info.pix_fmt == out_pix_fmt
            and info.width % 2 == 0
            and info.height % 2 == 0
        ):
            self.planar_fill = fill_yuv(settings.fill, info, out_pix_fmt)

    def cover(self, frame: av.VideoFrame, faces: Faces) -> av.VideoFrame:
        """``frame`` with every face covered (a new frame; ``frame`` itself when there is none)."""
        if not len(faces):
            return frame
        info = self.info
        if (
            self.planar_fill is not None
            and frame.format.name == self.out_pix_fmt
            and (frame.width, frame.height) == (info.width, info.height)
        ):
            regions = regions_for(faces, info.width, info.height, self.settings)
            ellipse = self.settings.shape == "ellipse"
            if not ellipse:
                regions = without_contained(regions)
            if len(regions):
                planes = frame.to_ndarray()  # a copy: the decoder may still reference this frame
                solid_i420(planes, regions, self.planar_fill, ellipse)
                self.counters.covered(faces, regions, info.width, info.height)
                frame = av.VideoFrame.from_ndarray(planes, format=self.out_pix_fmt)
            return frame
        rgb = to_rgb(frame, info)
        regions = apply_cover(rgb, faces, self.settings)
        if len(regions):
            self.counters.covered(faces, regions, info.width, info.height)
            frame = from_rgb(rgb, info, self.out_pix_fmt)
        return frame

    def cover_regions(self, frame: av.VideoFrame, found: list[Regions]) -> av.VideoFrame:
        """``frame`` (faces already covered) with the regions of the kinds beyond faces painted over it,
        through RGB (a new frame)."""
        info = self.info
        rgb = to_rgb(frame, info)
        for regions in found:
            cover_regions(rgb, regions, self.settings)
            self.counters.covered_kind(regions, info.width, info.height)
        return from_rgb(rgb, info, self.out_pix_fmt)


__all__ = ["FrameCover"]
