"""The public surface is what the docs say, and importing it stays light."""

import subprocess
import sys

import unseen


def test_exports():
    for name in ("anonymize_image", "anonymize_video", "anonymize_path", "anonymize_paths", "anonymize_array",
                 "Settings", "Faces", "UnseenError", "ExitStatus", "FileReport", "BatchReport", "MediaKind",
                 "FileStarted", "FramesDone", "FileFinished"):
        assert name in unseen.__all__
        assert getattr(unseen, name) is not None


def test_import_is_light():
    code = "import sys, unseen; bad=[m for m in ('onnxruntime','cv2','av','onnx') if m in sys.modules]; print(bad)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "[]", r.stdout + r.stderr


def test_anonymize_array_with_fixed_detector():
    import numpy as np

    from unseen.detect import FixedDetector

    img = np.full((50, 50, 3), 200, np.uint8)
    det = FixedDetector(unseen.Faces(np.array([[10, 10, 20, 20]])))
    res = unseen.anonymize_array(img, detector=det)
    assert (img == 200).all()  # input untouched
    assert len(res.faces) == 1 and (res.image[15, 15] == 0).all()
