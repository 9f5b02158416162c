import Foundation
public import SourceDiagnostics

/// An electrophysiological recording read from an ABF or NWB file: channels, sweeps, and
/// the samples of each in physical units (pA for currents, mV for voltages).
///
/// Samples are decoded on demand, one sweep of one channel at a time, so a long recording
/// costs the memory of its file (mapped, not copied) plus one sweep.
public final class Recording: Sendable {
    public enum Format: String, Sendable {
        case abf1 = "ABF1", abf2 = "ABF2", nwb = "NWB"
    }

    public enum Mode: String, Sendable {
        /// Sweeps of fixed length, each started by the protocol (pClamp's episodic stimulation).
        case episodic
        /// One continuous trace (pClamp's gap-free mode).
        case gapFree = "gap-free"
    }

    public let path: String
    public let format: Format
    /// "2.6.0.0" for ABF, the `nwb_version` attribute for NWB.
    public let version: String
    public let mode: Mode
    public let channels: [Channel]
    public let sweeps: [Sweep]
    /// Seconds between samples of one channel.
    public let sampleInterval: Double
    /// Comments placed during the recording (ABF tags), in seconds from its start.
    public let tags: [Tag]
    let storage: any SampleStorage

    init(path: String, format: Format, version: String, mode: Mode, channels: [Channel], sweeps: [Sweep],
         sampleInterval: Double, tags: [Tag], storage: any SampleStorage) {
        self.path = path; self.format = format; self.version = version; self.mode = mode
        self.channels = channels; self.sweeps = sweeps; self.sampleInterval = sampleInterval
        self.tags = tags; self.storage = storage
    }

    public var sampleRate: Double { 1 / sampleInterval }

    /// Samples `range` (all by default) of one sweep of one channel, in the channel's `unit`.
    public func samples(channel: Int, sweep: Int, range: Range<Int>? = nil) throws(DiagnosticsError) -> [Double] {
        precondition(channels.indices.contains(channel) && sweeps.indices.contains(sweep), "channel or sweep out of range")
        let r = range ?? 0..<sweeps[sweep].sampleCount
        precondition(r.lowerBound >= 0 && r.upperBound <= sweeps[sweep].sampleCount, "samples out of range")
        return try storage.samples(channel: channel, sweep: sweep, range: r)
    }

    /// The command (stimulus) waveform applied to a channel during samples `range` of a
    /// sweep, in the channel's `commandUnit`, when the file describes one.
    public func command(channel: Int, sweep: Int, range: Range<Int>? = nil) throws(DiagnosticsError) -> [Double]? {
        precondition(channels.indices.contains(channel) && sweeps.indices.contains(sweep), "channel or sweep out of range")
        let r = range ?? 0..<sweeps[sweep].sampleCount
        precondition(r.lowerBound >= 0 && r.upperBound <= sweeps[sweep].sampleCount, "samples out of range")
        return try storage.command(channel: channel, sweep: sweep, count: sweeps[sweep].sampleCount).map { Array($0[r]) }
    }

    /// The channel a user named: a 0-based index or a name, case-insensitively.
    public func channelIndex(named name: String) -> Int? {
        if let i = Int(name) { return channels.indices.contains(i) ? i : nil }
        return channels.firstIndex { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }
}

public struct Channel: Sendable, Equatable {
    public enum Quantity: String, Sendable { case current, voltage, other }
    public enum Clamp: String, Sendable { case voltage = "voltage clamp", current = "current clamp" }

    public var name: String
    /// The unit samples are returned in: "pA" and "mV" for currents and voltages (converted
    /// from whatever the file used), otherwise the file's own.
    public var unit: String
    public var quantity: Quantity
    /// The clamp mode, when the file says or the units imply it.
    public var clamp: Clamp?
    /// The holding command (mV in voltage clamp, pA in current clamp), when the file records it.
    public var holding: Double?
    /// Unit of `Recording.command(channel:sweep:)` and `holding`.
    public var commandUnit: String?

    public init(name: String, unit: String, quantity: Quantity, clamp: Clamp? = nil, holding: Double? = nil, commandUnit: String? = nil) {
        self.name = name; self.unit = unit; self.quantity = quantity; self.clamp = clamp
        self.holding = holding; self.commandUnit = commandUnit
    }
}

public struct Sweep: Sendable, Equatable {
    /// Seconds from the start of the recording to the sweep's first sample.
    public var startTime: Double
    public var sampleCount: Int
    public init(startTime: Double, sampleCount: Int) { self.startTime = startTime; self.sampleCount = sampleCount }
}

public struct Tag: Sendable, Equatable {
    public var time: Double
    public var comment: String
    public init(time: Double, comment: String) { self.time = time; self.comment = comment }
}

/// Where a recording's samples live and how they become physical units.
protocol SampleStorage: Sendable {
    func samples(channel: Int, sweep: Int, range: Range<Int>) throws(DiagnosticsError) -> [Double]
    func command(channel: Int, sweep: Int, count: Int) throws(DiagnosticsError) -> [Double]?
}

/// Physical units understood by readouts: SI prefixes of ampere and volt.
enum PhysicalUnit {
    /// The quantity a unit measures and the factor to pA or mV (nil for other units).
    static func parse(_ unit: String) -> (quantity: Channel.Quantity, factor: Double)? {
        let u = unit.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "µ", with: "u").replacingOccurrences(of: "μ", with: "u")
        let prefixes: [(String, Double)] = [("", 1), ("m", 1e-3), ("u", 1e-6), ("n", 1e-9), ("p", 1e-12), ("f", 1e-15)]
        for (names, quantity, target) in [(["A", "amp", "amps", "ampere", "amperes"], Channel.Quantity.current, 1e-12),
                                          (["V", "volt", "volts"], .voltage, 1e-3)] {
            for name in names {
                if u == name { return (quantity, 1 / target) }
                for (p, scale) in prefixes where !p.isEmpty && name.count == 1 && u == p + name {
                    return (quantity, scale / target)
                }
            }
        }
        return nil
    }
}
