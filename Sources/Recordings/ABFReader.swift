import Foundation
public import SourceDiagnostics

/// Reads Axon Binary Format files as pClamp writes them: ABF1 (versions 1.x, Clampex 6–9)
/// and ABF2 (versions 2.x, Clampex 10 and later).
///
/// Neither format has a published specification; the layout here follows the field names
/// of Axon's ABF SDK headers (abfheadr.h, ProtocolStructs.h) as documented by pyABF
/// (Harden, "Unofficial Guide to the ABF File Format", swharden.com/pyabf). In short:
/// - ABF2: a 512-byte header with a map of sections (block, bytes per entry, entries) at
///   byte 76; blocks are 512 bytes; channel names and units are indexed strings.
/// - ABF1: one fixed header of 2048 bytes (6144 from version 1.6, the "extended" header)
///   with every field at a fixed offset.
/// - Samples are int16 (scaled to physical units by the ADC range, resolution and the
///   gains of the signal chain) or float32, interleaved channel by channel; episodic files
///   hold sweeps one after another.
public enum ABFReader {
    static let blockSize = 512

    public static func read(path: String) throws(DiagnosticsError) -> Recording {
        let data = try RecordingReader.contents(of: path)
        return try read(data, path: path)
    }

    public static func read(_ data: Data, path: String) throws(DiagnosticsError) -> Recording {
        let view = ByteView(data: data, path: path)
        try view.require(0, 4, "the file signature")
        let signature = ByteView.decode(data.prefix(4))
        let layout: ABFLayout
        switch signature {
        case "ABF2": layout = try ABF2Header.read(view)
        case "ABF": layout = try ABF1Header.read(view)
        default:
            throw RecordingError.error(path, "not an ABF file: it starts with '\(signature)', not 'ABF ' or 'ABF2'")
        }
        return try layout.recording(view)
    }
}

/// What both ABF versions describe, in one shape.
struct ABFLayout {
    struct ChannelLayout {
        var name: String
        var unit: String
        /// Physical value = raw × scale + offset (in the file's unit).
        var scale: Double
        var offset: Double
        var holding: Double?
        var commandUnit: String?
        var epochs: [Epoch]
    }

    /// One segment of a command waveform (pClamp's waveform editor).
    struct Epoch {
        /// 0 disabled, 1 step, 2 ramp; other kinds (pulse trains, triangles, cosines) are
        /// drawn as steps at their level.
        var type: Int
        var level: Double
        var levelIncrement: Double
        var duration: Int
        var durationIncrement: Int
    }

    var version: String
    /// pClamp's nOperationMode: 1 event-driven variable length, 2 event-driven fixed length,
    /// 3 gap-free, 4 oscilloscope, 5 episodic stimulation.
    var operationMode: Int
    var sampleInterval: Double
    var channels: [ChannelLayout]
    var isFloat: Bool
    var dataStart: Int
    var totalSamples: Int
    /// Samples of all channels per sweep (lNumSamplesPerEpisode).
    var samplesPerEpisode: Int
    var episodeInterval: Double
    /// Sweep start times from the synch array, in seconds, when the file has one.
    var synchStarts: [Double]?
    var tags: [Tag]

    func recording(_ view: ByteView) throws(DiagnosticsError) -> Recording {
        let path = view.path
        let n = channels.count
        guard (1...16).contains(n) else {
            throw RecordingError.error(path, "the header lists \(n) channels; ABF files have 1 to 16")
        }
        guard sampleInterval.isFinite, sampleInterval > 0, sampleInterval < 1000 else {
            throw RecordingError.error(path, "the sample interval \(sampleInterval) s is not a positive duration")
        }
        let bytesPerSample = isFloat ? 4 : 2
        guard totalSamples >= 0, totalSamples % n == 0 else {
            throw RecordingError.error(path, "the data section holds \(totalSamples) samples, not a multiple of its \(n) channels")
        }
        let (byteCount, overflow) = totalSamples.multipliedReportingOverflow(by: bytesPerSample)
        guard !overflow else { throw RecordingError.error(path, "the data section's size overflows") }
        try view.require(dataStart, byteCount, "the data section (\(totalSamples) samples)")
        guard totalSamples > 0 else { throw RecordingError.error(path, "the recording holds no samples") }

        let mode: Recording.Mode
        var sweeps: [Sweep] = []
        switch operationMode {
        case 3:
            mode = .gapFree
            sweeps = [Sweep(startTime: 0, sampleCount: totalSamples / n)]
        case 2, 4, 5:
            mode = .episodic
            guard samplesPerEpisode > 0, samplesPerEpisode % n == 0 else {
                throw RecordingError.error(path, "a sweep of \(samplesPerEpisode) samples does not divide among \(n) channels")
            }
            let count = totalSamples / samplesPerEpisode
            guard count * samplesPerEpisode == totalSamples else {
                throw RecordingError.error(path, "the data section (\(totalSamples) samples) is not a whole number of sweeps of \(samplesPerEpisode)",
                                           hint: "the file may be truncated")
            }
            let points = samplesPerEpisode / n
            let length = Double(points) * sampleInterval
            let interval = episodeInterval.isFinite && episodeInterval >= length ? episodeInterval : length
            for s in 0..<count {
                let start = synchStarts.flatMap { s < $0.count ? $0[s] : nil } ?? Double(s) * interval
                sweeps.append(Sweep(startTime: start, sampleCount: points))
            }
        case 1:
            throw RecordingError.error(path, "event-driven variable-length recordings (pClamp operation mode 1) are not supported",
                                       hint: "export the events as fixed-length sweeps (episodic or event-driven fixed-length) in Clampfit")
        default:
            throw RecordingError.error(path, "unknown acquisition mode \(operationMode) (pClamp knows modes 1 to 5)")
        }

        var out: [Channel] = []
        var scales: [(Double, Double)] = []
        for c in channels {
            let physical = PhysicalUnit.parse(c.unit)
            let factor = physical?.factor ?? 1
            guard c.scale.isFinite, c.offset.isFinite, c.scale != 0 else {
                throw RecordingError.error(path, "channel '\(c.name)' has a zero or non-finite scale factor (a gain of zero in the header)")
            }
            // Float samples are stored in physical units already (pyABF applies no scaling to them).
            scales.append(isFloat ? (factor, 0) : (c.scale * factor, c.offset * factor))
            let quantity = physical?.quantity ?? .other
            let commandPhysical = c.commandUnit.flatMap(PhysicalUnit.parse)
            var clamp: Channel.Clamp?
            if quantity == .current || commandPhysical?.quantity == .voltage { clamp = .voltage }
            if quantity == .voltage || commandPhysical?.quantity == .current { clamp = .current }
            let unit = physical.map { $0.quantity == .current ? "pA" : "mV" } ?? c.unit
            let commandUnit = commandPhysical.map { $0.quantity == .current ? "pA" : "mV" } ?? c.commandUnit
            out.append(Channel(name: c.name, unit: unit, quantity: quantity, clamp: clamp,
                               holding: c.holding.map { $0 * (commandPhysical?.factor ?? 1) }, commandUnit: commandUnit))
        }
        let commandFactors = channels.map { c in c.commandUnit.flatMap(PhysicalUnit.parse)?.factor ?? 1 }
        let storage = ABFStorage(data: view.data, path: path, dataStart: dataStart, isFloat: isFloat, channelCount: n,
                                 sweepPoints: sweeps[0].sampleCount, scales: scales,
                                 commands: channels.enumerated().map { i, c in
                                     (c.holding.map { $0 * commandFactors[i] }, c.epochs.map {
                                         Epoch(type: $0.type, level: $0.level * commandFactors[i], levelIncrement: $0.levelIncrement * commandFactors[i],
                                               duration: $0.duration, durationIncrement: $0.durationIncrement)
                                     })
                                 })
        return Recording(path: path, format: version.hasPrefix("1") ? .abf1 : .abf2, version: version, mode: mode, channels: out,
                         sweeps: sweeps, sampleInterval: sampleInterval, tags: tags, storage: storage)
    }
}

/// Samples straight from the file's bytes (mapped), decoded one sweep at a time.
struct ABFStorage: SampleStorage {
    let data: Data
    let path: String
    let dataStart: Int
    let isFloat: Bool
    let channelCount: Int
    let sweepPoints: Int
    let scales: [(Double, Double)]
    /// Per channel: the holding level and the epochs of its command waveform.
    let commands: [(holding: Double?, epochs: [ABFLayout.Epoch])]

    func samples(channel: Int, sweep: Int, range: Range<Int>) throws(DiagnosticsError) -> [Double] {
        let (scale, offset) = scales[channel]
        let count = range.count
        let first = (sweep * sweepPoints + range.lowerBound) * channelCount + channel
        let stride = channelCount
        return data.withUnsafeBytes { raw in
            var out = [Double](repeating: 0, count: count)
            if isFloat {
                for i in 0..<count {
                    let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: dataStart + (first + i * stride) * 4, as: UInt32.self))
                    out[i] = Double(Float(bitPattern: bits)) * scale + offset
                }
            } else {
                for i in 0..<count {
                    let v = Int16(littleEndian: raw.loadUnaligned(fromByteOffset: dataStart + (first + i * stride) * 2, as: Int16.self))
                    out[i] = Double(v) * scale + offset
                }
            }
            return out
        }
    }

    /// The epoch waveform: pClamp holds the first 1/64 of a sweep at the holding level
    /// before the first epoch starts, and returns to holding after the last.
    func command(channel: Int, sweep: Int, count: Int) throws(DiagnosticsError) -> [Double]? {
        let (holdingLevel, epochs) = commands[channel]
        guard let holding = holdingLevel, !epochs.isEmpty else { return nil }
        var out = [Double](repeating: holding, count: count)
        var position = count / 64
        var previous = holding
        for e in epochs where e.type != 0 {
            let level = e.level + e.levelIncrement * Double(sweep)
            let duration = max(0, e.duration + e.durationIncrement * sweep)
            let end = min(count, position + duration)
            if position < end {
                for i in position..<end {
                    out[i] = e.type == 2 ? previous + (level - previous) * Double(i - position + 1) / Double(duration) : level
                }
            }
            position = end
            previous = level
        }
        return out
    }
}
