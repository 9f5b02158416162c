import Foundation
public import SourceDiagnostics

/// Reads the intracellular electrophysiology of an NWB 2.x file (Neurodata Without Borders,
/// HDF5), after the NWB core schema's icephys types (nwb-schema, core/nwb.icephys.yaml):
/// - responses are `PatchClampSeries` (or `VoltageClampSeries`, `CurrentClampSeries`,
///   `IZeroClampSeries`) groups in `/acquisition`; commands are `VoltageClampStimulusSeries`
///   or `CurrentClampStimulusSeries` in `/stimulus/presentation`;
/// - each series has `data` (attributes `unit`, `conversion`, optionally `offset`: value =
///   data × conversion + offset, in `unit`), either `starting_time` (attribute `rate`, Hz)
///   or `timestamps`, an `electrode` link to an `IntracellularElectrode` and a
///   `sweep_number` attribute;
/// - a channel here is an electrode; a sweep is a sweep number.
public enum NWBReader {
    static let responseTypes: Set<String> = ["PatchClampSeries", "VoltageClampSeries", "CurrentClampSeries", "IZeroClampSeries"]
    static let stimulusTypes: Set<String> = ["VoltageClampStimulusSeries", "CurrentClampStimulusSeries", "PatchClampSeries"]

    public static func read(path: String) throws(DiagnosticsError) -> Recording {
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return try HDF5.gate.within { () throws(DiagnosticsError) -> Recording in
            try probe(path: path, timeout: 20 + Double(bytes) / 50e6) { () throws(DiagnosticsError) in
                try readUnprotected(path: path)
            }
            return try readUnprotected(path: path)
        }
    }

    /// An NWB file held in memory (fuzzing).
    public static func read(image: [UInt8], path: String) throws(DiagnosticsError) -> Recording {
        return try HDF5.gate.within { () throws(DiagnosticsError) -> Recording in
            try probe(path: path, timeout: 5) { () throws(DiagnosticsError) in try readUnprotected(image: image, path: path) }
            return try readUnprotected(image: image, path: path)
        }
    }

    static func readUnprotected(path: String) throws(DiagnosticsError) -> Recording {
        let file: HDF5.Object
        do { file = try HDF5.open(path: path) } catch {
            throw RecordingError.error(path, "HDF5 cannot open the file (\(error.function) failed); it is damaged or not HDF5",
                                       hint: "an NWB file is written by pyNWB or MatNWB; check that the copy is complete")
        }
        return try read(file, source: .path(path), path: path)
    }

    static func readUnprotected(image: [UInt8], path: String) throws(DiagnosticsError) -> Recording {
        let file: HDF5.Object
        do { file = try HDF5.open(image: image) } catch {
            throw RecordingError.error(path, "HDF5 cannot open the file (\(error.function) failed); it is damaged or not HDF5")
        }
        return try read(file, source: .image(image), path: path)
    }

    /// Reads the file, and every sample and command of it, in a child process first
    /// (`IsolatedProbe`): HDF5 1.10.8 crashes or loops on some damaged files, which must
    /// become a diagnostic rather than take the run down. Callers hold `HDF5.gate` for the
    /// probe and the read after it, so that the Swift code the child runs (lazily made
    /// constants, such as the set of series types) is never half made by another thread
    /// at the fork: a child inherits such a one-time initialisation in progress and spins
    /// on it for ever, which the probe would mistake for a looping file.
    static func probe(path: String, timeout: Double, _ read: () throws(DiagnosticsError) -> Recording) throws(DiagnosticsError) {
        let outcome = IsolatedProbe.run(timeout: timeout, gate: HDF5.gate) {
            do {
                let recording = try read()
                for c in recording.channels.indices {
                    for k in recording.sweeps.indices {
                        _ = try recording.samples(channel: c, sweep: k)
                        _ = try recording.command(channel: c, sweep: k)
                    }
                }
                return true
            } catch {
                return false
            }
        }
        let hint = "the file is damaged (an interrupted copy or write?); copy it again, or check it with 'h5dump -H'"
        switch outcome {
        case .survived:
            return
        case .crashed(let signal, let status):
            let how = signal.map { "was killed by signal \($0)\($0 == SIGSEGV ? " (segmentation fault)" : "")" } ?? "stopped with status \(status ?? -1)"
            throw RecordingError.error(path, "HDF5 crashed while reading the file (a reader in a child process \(how)); the file is damaged", hint: hint)
        case .hung(let seconds):
            throw RecordingError.error(path, "HDF5 was still reading the file after \(Int(seconds.rounded())) s and was stopped; the file is damaged (a looping structure?)", hint: hint)
        }
    }

    struct SeriesInfo {
        var path: String
        var type: String
        var electrode: String
        var sweep: Int
        var start: Double
        var rate: Double
        var count: Int
        var unit: String
        var conversion: Double
        var offset: Double
    }

    static func read(_ file: HDF5.Object, source: NWBStorage.Source, path: String) throws(DiagnosticsError) -> Recording {
        let version = HDF5.stringAttribute(file, "nwb_version") ?? ""
        guard !version.isEmpty else {
            throw RecordingError.error(path, "an HDF5 file, but not NWB: the root has no 'nwb_version' attribute")
        }
        guard version.hasPrefix("2.") else {
            throw RecordingError.error(path, "NWB version \(version) is not supported (NWB 2.x is)",
                                       hint: "convert NWB 1 files with the NWB team's nwb1-to-nwb2 tools")
        }
        var responses: [SeriesInfo] = [], stimuli: [SeriesInfo] = []
        do {
            responses = try seriesIn(file, group: "acquisition", types: responseTypes, path: path)
            stimuli = try seriesIn(file, group: "stimulus/presentation", types: stimulusTypes, path: path)
        } catch let failure as HDF5.Failure {
            throw RecordingError.error(path, "cannot read '\(failure.object)': \(failure.function) failed")
        } catch let error as DiagnosticsError {
            throw error
        } catch {
            throw RecordingError.error(path, "\(error)")
        }
        guard !responses.isEmpty else {
            throw RecordingError.error(path, "no intracellular recordings: /acquisition holds no PatchClampSeries (VoltageClampSeries, CurrentClampSeries)",
                                       hint: "kinapse readouts reads NWB icephys data; extracellular or imaging files have none")
        }
        let rate = responses[0].rate
        for s in responses where abs(s.rate - rate) > 1e-6 * rate {
            throw RecordingError.error(path, "'\(s.path)' is sampled at \(s.rate) Hz and '\(responses[0].path)' at \(rate) Hz; one rate is supported")
        }
        let electrodes = Array(Set(responses.map(\.electrode))).sorted()
        let sweepNumbers = Array(Set(responses.map(\.sweep))).sorted()
        var sweeps: [Sweep] = []
        var table: [[NWBStorage.Series?]] = Array(repeating: Array(repeating: nil, count: sweepNumbers.count), count: electrodes.count)
        var commands = table
        for (k, number) in sweepNumbers.enumerated() {
            let here = responses.filter { $0.sweep == number }
            guard let first = here.min(by: { $0.start < $1.start }) else { continue }
            for s in here where s.count != first.count {
                throw RecordingError.error(path, "sweep \(number): '\(s.path)' has \(s.count) samples and '\(first.path)' \(first.count); a sweep's series must be equally long")
            }
            sweeps.append(Sweep(startTime: first.start, sampleCount: first.count))
            for s in here {
                let c = electrodes.firstIndex(of: s.electrode)!
                table[c][k] = try series(s, path: path)
                if let stimulus = stimuli.first(where: { $0.sweep == number && $0.electrode == s.electrode && $0.count == s.count }) {
                    commands[c][k] = try series(stimulus, path: path)
                }
            }
        }
        let storage = NWBStorage(source: source, series: table, commands: commands)
        var channels: [Channel] = []
        for (c, electrode) in electrodes.enumerated() {
            let example = responses.first { $0.electrode == electrode }!
            let physical = PhysicalUnit.parse(example.unit)
            var clamp: Channel.Clamp? = nil
            if example.type == "VoltageClampSeries" { clamp = .voltage }
            if example.type == "CurrentClampSeries" || example.type == "IZeroClampSeries" { clamp = .current }
            let commandUnit = commands[c].compactMap { $0 }.first.map { $0.unitName }
            // The holding level: the command at the start of the first sweep that has one.
            var holding: Double? = nil
            if let firstCommand = commands[c].indices.first(where: { commands[c][$0] != nil }) {
                holding = try storage.read(channel: c, sweep: firstCommand, range: 0..<1, from: commands)?.first
            }
            channels.append(Channel(name: electrode.split(separator: "/").last.map(String.init) ?? electrode,
                                    unit: physical.map { $0.quantity == .current ? "pA" : "mV" } ?? example.unit,
                                    quantity: physical?.quantity ?? .other, clamp: clamp, holding: holding, commandUnit: commandUnit))
        }
        return Recording(path: path, format: .nwb, version: version, mode: .episodic, channels: channels, sweeps: sweeps,
                         sampleInterval: 1 / rate, tags: [], storage: storage)
    }

    static func series(_ s: SeriesInfo, path: String) throws(DiagnosticsError) -> NWBStorage.Series {
        let factor = PhysicalUnit.parse(s.unit)?.factor ?? 1
        let unitName = PhysicalUnit.parse(s.unit).map { $0.quantity == .current ? "pA" : "mV" } ?? s.unit
        return NWBStorage.Series(dataPath: s.path + "/data", scale: s.conversion * factor, offset: s.offset * factor, unitName: unitName)
    }

    /// The icephys series in one group, with what analysis needs from each.
    static func seriesIn(_ file: HDF5.Object, group name: String, types: Set<String>, path: String) throws -> [SeriesInfo] {
        guard HDF5.kind(file, name) == .group else { return [] }
        let group = try HDF5.group(file, name)
        var out: [SeriesInfo] = []
        for member in try HDF5.members(group) where HDF5.kind(group, member) == .group {
            let series = try HDF5.group(group, member)
            guard let type = HDF5.stringAttribute(series, "neurodata_type"), types.contains(type) else { continue }
            let where_ = "/\(name)/\(member)"
            guard HDF5.kind(series, "data") == .dataset else {
                throw RecordingError.error(path, "\(type) '\(where_)' has no 'data' dataset")
            }
            let data = try HDF5.dataset(series, "data")
            let count: Int
            do { count = try HDF5.length(data) } catch {
                throw RecordingError.error(path, "'\(where_)/data' is not a one-dimensional numeric dataset (\(error.function))")
            }
            guard count > 0 else { throw RecordingError.error(path, "'\(where_)/data' is empty") }
            var start = 0.0, rate = 0.0
            if HDF5.kind(series, "starting_time") == .dataset {
                let t = try HDF5.dataset(series, "starting_time")
                start = try HDF5.read(t).first ?? 0
                rate = HDF5.numberAttribute(t, "rate") ?? 0
            } else if HDF5.kind(series, "timestamps") == .dataset {
                let stamps = try HDF5.read(try HDF5.dataset(series, "timestamps"), range: 0..<min(count, 1000))
                start = stamps.first ?? 0
                if stamps.count >= 2 {
                    let steps = zip(stamps.dropFirst(), stamps).map { $0 - $1 }
                    let mean = (stamps.last! - stamps.first!) / Double(stamps.count - 1)
                    guard mean > 0, steps.allSatisfy({ abs($0 - mean) <= 0.01 * mean }) else {
                        throw RecordingError.error(path, "'\(where_)/timestamps' are not evenly spaced; readouts need a constant sampling rate")
                    }
                    rate = 1 / mean
                }
            } else {
                throw RecordingError.error(path, "\(type) '\(where_)' has neither 'starting_time' nor 'timestamps'")
            }
            guard rate.isFinite, rate > 0, rate < 1e9, start.isFinite else {
                throw RecordingError.error(path, "\(type) '\(where_)' has no valid sampling rate (starting_time's 'rate' attribute, Hz)")
            }
            let conversion = HDF5.numberAttribute(data, "conversion") ?? 1
            let offset = HDF5.numberAttribute(data, "offset") ?? 0
            guard conversion.isFinite, conversion != 0, offset.isFinite else {
                throw RecordingError.error(path, "'\(where_)/data' has conversion \(conversion) and offset \(offset); conversion must be finite and non-zero")
            }
            let electrode = HDF5.softLinkTarget(series, "electrode") ?? "electrode"
            let sweep = HDF5.numberAttribute(series, "sweep_number").map { Int(exactly: $0.rounded()) ?? 0 } ?? out.count
            out.append(SeriesInfo(path: where_, type: type, electrode: electrode, sweep: sweep, start: start, rate: rate, count: count,
                                  unit: HDF5.stringAttribute(data, "unit") ?? "", conversion: conversion, offset: offset))
        }
        return out
    }
}

/// Reads a series' samples when asked, reopening the file each time so that a recording
/// holds no HDF5 handle (HDF5's serial library is not thread-safe).
struct NWBStorage: SampleStorage {
    enum Source: Sendable { case path(String), image([UInt8]) }
    struct Series: Sendable {
        var dataPath: String
        var scale: Double
        var offset: Double
        var unitName: String
    }

    let source: Source
    /// [channel][sweep]
    let series: [[Series?]]
    var commands: [[Series?]] = []

    init(source: Source, series: [[Series?]], commands: [[Series?]] = []) {
        self.source = source; self.series = series; self.commands = commands
    }

    var displayPath: String { if case .path(let p) = source { p } else { "NWB image" } }

    func read(channel: Int, sweep: Int, range: Range<Int>, from table: [[Series?]]? = nil) throws(DiagnosticsError) -> [Double]? {
        guard let s = (table ?? series)[channel][sweep] else { return nil }
        do {
            let file = switch source {
            case .path(let p): try HDF5.open(path: p)
            case .image(let bytes): try HDF5.open(image: bytes)
            }
            var parts = s.dataPath.split(separator: "/").map(String.init)
            let name = parts.removeLast()
            var group = file
            for p in parts { group = try HDF5.group(group, p) }
            var values = try HDF5.read(try HDF5.dataset(group, name), range: range)
            // In place: a second array of a long sweep costs more than the arithmetic.
            values.withUnsafeMutableBufferPointer { v in for i in v.indices { v[i] = v[i] * s.scale + s.offset } }
            return values
        } catch {
            throw RecordingError.error(displayPath, "cannot read '\(s.dataPath)': \(error.function) failed")
        }
    }

    func samples(channel: Int, sweep: Int, range: Range<Int>) throws(DiagnosticsError) -> [Double] {
        guard let values = try read(channel: channel, sweep: sweep, range: range) else {
            throw RecordingError.error(displayPath, "channel \(channel) has no series for sweep \(sweep + 1)")
        }
        return values
    }

    func command(channel: Int, sweep: Int, count: Int) throws(DiagnosticsError) -> [Double]? {
        guard !commands.isEmpty else { return nil }
        return try read(channel: channel, sweep: sweep, range: 0..<count, from: commands)
    }
}
