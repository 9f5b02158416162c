"""Writes Fixtures/recordings/pyabf_abf1.abf with pyABF's ABF1 writer (PyPI), so that the ABF1
reader is checked against a writer other than the project's own.

    python3 -m venv .venv && .venv/bin/pip install pyabf
    .venv/bin/python Fixtures/recordings/make_pyabf_fixture.py Fixtures/recordings/pyabf_abf1.abf

Three sweeps of 1000 samples at 10 kHz, one channel in pA; sample i of sweep k is
(i mod 100) - 50 + 25 k. Tests/RecordingsTests/RecordingReaderTests.swift recomputes these.
"""
import sys

import numpy as np
import pyabf.abfWriter

sweeps = np.array([(np.arange(1000) % 100) - 50 + 25 * k for k in range(3)], dtype=float)
pyabf.abfWriter.writeABF1(sweeps, sys.argv[1], 10000, units="pA")
