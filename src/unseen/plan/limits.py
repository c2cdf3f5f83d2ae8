"""The bounds a plan must keep, named so that every refusal can say which one it met.

They are sized for a real plan of a long video, not for a typical one: a 10-hour video at 30 fps
has 1.08 million frames, and with 5 faces in every frame 5.4 million boxes, so the totals below
hold that with room; a crowd photo has at most a few thousand faces (WIDER FACE's largest: about
1,970). At the total box limit a plan file is about 0.7 GB of JSON and loading it takes several
GB of memory (docs/PLAN.md has the measured figures).
"""

from __future__ import annotations

FORMAT = "unseen-plan"  # the value of the top-level "format" field
VERSIONS = (1, 2)  # the plan versions this loader reads (2: boxes of other kinds, "kind")
KINDS_VERSION = 2  # the first version whose boxes may say "kind" (people, text, plates): model.KINDS_VERSION

MAX_PLAN_BYTES = 1 << 30  # 1 GiB: a plan file's size, checked before it is read
MAX_DEPTH = 16  # nesting of objects and arrays (a version 1 plan needs 6), checked before parsing
MAX_FRAME_COUNT = 10_000_000  # frames in a video (10 h at 240 fps is 8.64 million)
MAX_DURATION_S = 7 * 24 * 3600.0  # a video's duration in seconds
MAX_FPS = 1000.0
MAX_DIMENSION = 1 << 20  # a frame's width or height in pixels
MAX_FILE_BYTES = 1 << 53  # the media file's size (2^53: exact in every JSON reader)
MAX_INTEGER = 1 << 53  # any integer in a plan (track ids, indices, time base terms)
MAX_ABS_NUMBER = float(1 << 53)  # any number in a plan, checked while parsing

MAX_BOXES_PER_FRAME = 10_000  # boxes in one frame or photo
MAX_TOTAL_BOXES = 6_000_000  # boxes in a whole plan (10 h at 30 fps, 5 faces per frame: 5.4 million)
MAX_REGIONS = 10_000  # manual regions
MAX_KEYFRAMES_PER_REGION = 10_000
MAX_TOTAL_KEYFRAMES = 1_000_000
MAX_FLAGS = 1_000_000  # review flags
MAX_SETTINGS = 256  # entries in the producing settings
MAX_SETTING_LIST = 64  # items in one list-valued setting
MAX_TEXT = 1_000  # characters in a free-text field (names, who/when/why, messages, setting values)

# What the pre-parse scan counts (objects and arrays: { and [; value separators: ,), as bounds on
# what a plan within the limits above can hold. Per box: its object and coordinate array, and, with
# one box per frame, the frame's object and box list (4); its commas with every optional field
# (rejected, by, at, why), its frame's, and those between items (12). Keyframes, regions, flags:
# the same count for theirs. tests/test_plan_fuzz.py checks these against written plans.
CONTAINERS_PER_BOX, SEPARATORS_PER_BOX = 4, 12
CONTAINERS_PER_KEYFRAME, SEPARATORS_PER_KEYFRAME = 2, 6
CONTAINERS_PER_REGION, SEPARATORS_PER_REGION = 2, 6
CONTAINERS_PER_FLAG, SEPARATORS_PER_FLAG = 2, 12
MAX_CONTAINERS = (
    CONTAINERS_PER_BOX * MAX_TOTAL_BOXES
    + CONTAINERS_PER_KEYFRAME * MAX_TOTAL_KEYFRAMES
    + CONTAINERS_PER_REGION * MAX_REGIONS
    + CONTAINERS_PER_FLAG * MAX_FLAGS
    + MAX_SETTINGS
    + 64
)
MAX_SEPARATORS = (
    SEPARATORS_PER_BOX * MAX_TOTAL_BOXES
    + SEPARATORS_PER_KEYFRAME * MAX_TOTAL_KEYFRAMES
    + SEPARATORS_PER_REGION * MAX_REGIONS
    + SEPARATORS_PER_FLAG * MAX_FLAGS
    + MAX_SETTINGS * (MAX_SETTING_LIST + 1)
    + 64
)
MAX_CHILDREN = max(
    MAX_BOXES_PER_FRAME, MAX_KEYFRAMES_PER_REGION
)  # objects or arrays in one list below the top two levels
