"""Writes Fixtures/recordings/pynwb_vclamp.nwb with pyNWB (PyPI), so that the NWB reader is
checked against the reference writer rather than only against the project's own.

    python3 -m venv .venv && .venv/bin/pip install pynwb
    .venv/bin/python Fixtures/recordings/make_pynwb_fixture.py Fixtures/recordings/pynwb_vclamp.nwb

Three voltage-clamp sweeps of 2000 samples at 10 kHz, 10 s apart. Sweep k's current, stored as
int16 with conversion 1e-12 (so in pA), is (i % 200) - 100 + 10 k at sample i; its command,
float32 in mV with conversion 1e-3 (volts), holds -70 mV with a -5 mV step over samples
200-699. Tests/RecordingsTests/RecordingReaderTests.swift recomputes these values.
"""
import sys
from datetime import datetime, timezone

import numpy as np
from pynwb import NWBFile, NWBHDF5IO
from pynwb.icephys import VoltageClampSeries, VoltageClampStimulusSeries

out = sys.argv[1]
start = datetime(2026, 12, 5, tzinfo=timezone.utc)
nwb = NWBFile(session_description="synthetic voltage-clamp sweeps for kinapse's NWB reader",
              identifier="kinapse-pynwb-vclamp", session_start_time=start, file_create_date=start)
device = nwb.create_device(name="amplifier")
electrode = nwb.create_icephys_electrode(name="cell1", description="synthetic whole-cell electrode", device=device)
for k in range(3):
    current = ((np.arange(2000) % 200) - 100 + 10 * k).astype(np.int16)
    command = np.full(2000, -70.0, dtype=np.float32)
    command[200:700] = -75.0
    nwb.add_acquisition(VoltageClampSeries(
        name=f"current_{k}", data=current, conversion=1e-12, electrode=electrode, gain=1.0,
        starting_time=10.0 * k, rate=10000.0, sweep_number=np.uint32(k)))
    nwb.add_stimulus(VoltageClampStimulusSeries(
        name=f"command_{k}", data=command, conversion=1e-3, electrode=electrode, gain=1.0,
        starting_time=10.0 * k, rate=10000.0, sweep_number=np.uint32(k)))
with NWBHDF5IO(out, "w") as io:
    io.write(nwb, cache_spec=False)
