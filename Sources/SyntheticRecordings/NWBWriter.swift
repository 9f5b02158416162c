import Foundation
import Recordings

/// Writes a synthetic recording as an NWB 2 file: the root attributes and datasets of an
/// `NWBFile`, one `IntracellularElectrode`, and per sweep a `VoltageClampSeries` (current,
/// stored as float32 pA with conversion 1e-12 to amperes) in /acquisition and a
/// `VoltageClampStimulusSeries` (command, float32 mV, conversion 1e-3 to volts) in
/// /stimulus/presentation, linked to the electrode and numbered by `sweep_number`.
/// Group and attribute names follow the NWB core schema 2.6 (nwb.file.yaml, nwb.icephys.yaml).
public enum NWBWriter {
    public static func write(_ r: SyntheticRecording, to path: String, includeIcephys: Bool = true) throws {
        let spec = r.spec
        let file = try HDF5.create(path: path)
        try HDF5.writeString(file, "nwb_version", "2.6.0")
        try HDF5.writeString(file, "neurodata_type", "NWBFile")
        try HDF5.writeString(file, "namespace", "core")
        try HDF5.writeStringDataset(file, "identifier", "kinapse-synth-recording-seed-\(spec.seed)")
        try HDF5.writeStringDataset(file, "session_description", "synthetic evoked IPSCs with known amplitudes (kinapse-synth-recording)")
        // A fixed date keeps regenerated files byte-identical.
        try HDF5.writeStringDataset(file, "session_start_time", "2026-12-05T00:00:00+00:00")
        try HDF5.writeStringDataset(file, "timestamps_reference_time", "2026-12-05T00:00:00+00:00")
        try HDF5.writeStringDataset(file, "file_create_date", "2026-12-05T00:00:00+00:00", asList: true)
        let general = try HDF5.createGroup(file, "general")
        _ = try HDF5.createGroup(file, "analysis")
        _ = try HDF5.createGroup(file, "processing")
        let acquisition = try HDF5.createGroup(file, "acquisition")
        let stimulus = try HDF5.createGroup(file, "stimulus")
        let presentation = try HDF5.createGroup(stimulus, "presentation")
        _ = try HDF5.createGroup(stimulus, "templates")
        guard includeIcephys else { return }
        let device = try HDF5.createGroup(try HDF5.createGroup(general, "devices"), "amplifier")
        try HDF5.writeString(device, "neurodata_type", "Device")
        try HDF5.writeString(device, "namespace", "core")
        let icephys = try HDF5.createGroup(general, "intracellular_ephys")
        let electrode = try HDF5.createGroup(icephys, "electrode0")
        try HDF5.writeString(electrode, "neurodata_type", "IntracellularElectrode")
        try HDF5.writeString(electrode, "namespace", "core")
        try HDF5.writeStringDataset(electrode, "description", "synthetic whole-cell electrode")
        try HDF5.softLink(electrode, "device", to: "/general/devices/amplifier")
        for s in 0..<spec.sweepCount {
            let name = String(format: "sweep_%03d", s)
            for (group, type, unit, conversion, values) in [
                (acquisition, "VoltageClampSeries", "amperes", 1e-12, r.samples[0][s]),
                (presentation, "VoltageClampStimulusSeries", "volts", 1e-3, r.samples.count > 1 ? r.samples[1][s] : nil),
            ] {
                guard let values else { continue }
                let series = try HDF5.createGroup(group, name)
                try HDF5.writeString(series, "neurodata_type", type)
                try HDF5.writeString(series, "namespace", "core")
                try HDF5.writeString(series, "description", "synthetic")
                try HDF5.writeString(series, "stimulus_description", "paired_pulse")
                try HDF5.writeNumber(series, "sweep_number", Double(s), as: .uint32)
                let data = try HDF5.writeDataset(series, "data", values, as: .float32)
                try HDF5.writeString(data, "unit", unit)
                try HDF5.writeNumber(data, "conversion", conversion, as: .float32)
                try HDF5.writeNumber(data, "resolution", -1, as: .float32)
                try HDF5.writeNumber(data, "offset", 0, as: .float32)
                let start = try HDF5.writeDataset(series, "starting_time", [spec.starts[s]], scalar: true)
                try HDF5.writeNumber(start, "rate", spec.sampleRate, as: .float32)
                try HDF5.writeString(start, "unit", "seconds")
                try HDF5.softLink(series, "electrode", to: "/general/intracellular_ephys/electrode0")
            }
        }
    }
}
