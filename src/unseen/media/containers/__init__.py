"""One walker per container format: the bytes of a file as bounded, typed records.

Every module that looks inside a photo file (the metadata limits, the orientation and lossless
checks, the damaged-JPEG marker walk, the ICC extraction and the scrub verifier) iterates it
through these walkers and nothing else, so they all see the same segments. A walker never trusts
a length without a bounds check and never yields a record that reaches past its container; how a
walk ended (a clean end marker, damage, truncation) is kept on the walk, for each caller to judge.

``record.py`` (the record and the walk), ``buffer.py`` (bytes, or a file read on demand),
``jpeg.py`` (markers), ``png.py`` (chunks), ``webp.py`` (RIFF chunks), ``gif.py`` (blocks),
``tiff.py`` (IFDs: TIFF files and EXIF blocks), ``heif.py`` (ISO-BMFF boxes, the item list),
``profiles.py`` (the ICC profile as each container embeds it).

What each record *is* (pixels, a colour profile, metadata) is not decided here: that is the
allow-list's job (:mod:`unseen.scrub.allow`).
"""
