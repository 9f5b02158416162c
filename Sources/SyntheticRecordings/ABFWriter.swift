import Foundation

/// Writes a synthetic recording as an ABF2 or ABF1 file, with the fields the readers (ours,
/// pyABF, Clampfit) need: header, protocol, ADC and DAC entries, the test-pulse epochs,
/// indexed strings, sweep start times (synch array), tags and int16 samples. Layouts are
/// those `Recordings.ABFReader` documents; fields pClamp fills that no reader needs are zero.
public enum ABFWriter {
    static let block = 512
    /// Digitiser: ±10 V over 16 bits (a Digidata 1440's range and resolution).
    static let adcRange = 10.0, adcResolution = 32768
    /// Amplifier output gains (V per pA, V per mV): 0.5 mV/pA and 10 mV/mV, so one int16
    /// step is 0.61 pA or 0.031 mV (assumption: a MultiClamp 700B's usual output scaling).
    static func instrumentScale(channel: Int) -> Double { channel == 0 ? 0.0005 : 0.01 }
    static let names = ["IN 0", "IN 1"], units = ["pA", "mV"]

    struct Buffer {
        var bytes: [UInt8]
        init(count: Int) { bytes = [UInt8](repeating: 0, count: count) }
        mutating func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { for (k, b) in $0.enumerated() { bytes[offset + k] = b } }
        }
        mutating func int16(_ v: Int, at o: Int) { put(Int16(truncatingIfNeeded: v), at: o) }
        mutating func int32(_ v: Int, at o: Int) { put(Int32(truncatingIfNeeded: v), at: o) }
        mutating func int64(_ v: Int, at o: Int) { put(Int64(v), at: o) }
        mutating func float(_ v: Double, at o: Int) { put(Float(v).bitPattern, at: o) }
        mutating func text(_ s: String, at o: Int, width: Int) {
            for (k, b) in s.utf8.prefix(width).enumerated() { bytes[o + k] = b }
        }
        mutating func pad() { bytes += [UInt8](repeating: 0, count: (block - bytes.count % block) % block) }
    }

    static func raw(_ value: Double, channel: Int) -> Int {
        let lsb = adcRange / Double(adcResolution) / instrumentScale(channel: channel)
        return Int(max(-32768, min(32767, (value / lsb).rounded())))
    }

    static func interleaved(_ r: SyntheticRecording) -> [UInt8] {
        let spec = r.spec, channels = r.samples.count, n = spec.pointsPerSweep
        var out = Buffer(count: spec.sweepCount * n * channels * 2)
        var k = 0
        for s in 0..<spec.sweepCount {
            for j in 0..<n {
                for c in 0..<channels {
                    out.int16(raw(r.samples[c][s][j], channel: c), at: k)
                    k += 2
                }
            }
        }
        return out.bytes
    }

    /// fSynchTimeUnit (µs) of sweep starts and tags: 10 µs reaches 2³¹·10 µs ≈ 6 h in an
    /// int32 and is the unit pyABF applies to ABF2 tag times.
    static let synchTimeUnit = 10.0

    static func synchTime(_ seconds: Double) -> Int { Int((seconds * 1e6 / synchTimeUnit).rounded()) }

    /// Sweep starts (and lengths in samples of all channels).
    static func synch(_ r: SyntheticRecording) -> [UInt8] {
        let spec = r.spec, channels = r.samples.count
        var out = Buffer(count: spec.sweepCount * 8)
        for (s, t) in spec.starts.prefix(spec.sweepCount).enumerated() {
            out.int32(synchTime(t), at: 8 * s)
            out.int32(spec.pointsPerSweep * channels, at: 8 * s + 4)
        }
        return out.bytes
    }

    static func tags(_ r: SyntheticRecording) -> [UInt8] {
        var out = Buffer(count: r.spec.tags.count * 64)
        for (k, tag) in r.spec.tags.enumerated() {
            out.int32(synchTime(tag.time), at: 64 * k)
            out.text(tag.comment, at: 64 * k + 4, width: 55)
        }
        return out.bytes
    }

    /// The test pulse as two epochs of DAC 0: holding until the pulse, then the step.
    /// Epochs start after the first 1/64 of the sweep (pClamp's pre-sweep holding).
    static func epochs(_ spec: SyntheticRecording.Spec) -> [(level: Double, duration: Int)] {
        guard let pulse = spec.testPulse else { return [] }
        let lead = spec.pointsPerSweep / 64
        precondition(Int((pulse.start * spec.sampleRate).rounded()) >= lead, "an ABF test pulse cannot start in the first 1/64 of the sweep")
        return [(spec.holding, Int((pulse.start * spec.sampleRate).rounded()) - lead),
                (spec.holding + pulse.step, Int((pulse.duration * spec.sampleRate).rounded()))]
    }

    // MARK: - ABF2

    public static func abf2(_ r: SyntheticRecording) -> Data {
        let spec = r.spec, channels = r.samples.count, n = spec.pointsPerSweep
        var strings = ["kinapse-synth-recording"]
        func index(_ s: String) -> Int { strings.append(s); return strings.count }
        var file = Buffer(count: block)  // header, filled last
        // Each section on its own blocks: (block, bytes per entry, entries).
        var map: [Int: (Int, Int, Int)] = [:]
        func section(_ offset: Int, entry: Int, count: Int, _ body: [UInt8]) {
            map[offset] = (file.bytes.count / block, entry, count)
            file.bytes += body
            file.pad()
        }
        var proto = Buffer(count: 512)
        proto.int16(spec.gapFree ? 3 : 5, at: 0)
        proto.float(1e6 / spec.sampleRate, at: 2)
        proto.float(synchTimeUnit, at: 14)
        proto.float(spec.sweepLength, at: 18)
        proto.int32(n * channels, at: 22)
        proto.int32(spec.gapFree ? 1 : spec.sweepCount, at: 30)
        proto.int32(1, at: 34)
        proto.int32(1, at: 38)
        proto.float(spec.gapFree ? 0 : spec.sweepInterval, at: 62)
        proto.float(adcRange, at: 110)
        proto.float(adcRange, at: 114)
        proto.int32(adcResolution, at: 118)
        proto.int32(adcResolution, at: 122)
        section(76, entry: 512, count: 1, proto.bytes)

        var adc = Buffer(count: 128 * channels)
        for c in 0..<channels {
            let o = 128 * c
            adc.int16(c, at: o)
            adc.int16(c, at: o + 24)
            adc.int16(c, at: o + 26)
            adc.float(1, at: o + 28)
            adc.float(1, at: o + 32)
            adc.float(instrumentScale(channel: c), at: o + 40)
            adc.float(1, at: o + 48)
            adc.int32(index(names[c]), at: o + 74)
            adc.int32(index(units[c]), at: o + 78)
        }
        section(92, entry: 128, count: channels, adc.bytes)

        var dac = Buffer(count: 256)
        dac.int16(0, at: 0)
        dac.float(spec.holding, at: 12)
        dac.float(1, at: 16)
        dac.int32(index("Cmd 0"), at: 24)
        dac.int32(index("mV"), at: 28)
        let epochList = epochs(spec)
        dac.int16(epochList.isEmpty ? 0 : 1, at: 40)
        dac.int16(1, at: 42)
        section(108, entry: 256, count: 1, dac.bytes)

        var epoch = Buffer(count: 48 * epochList.count)
        for (k, e) in epochList.enumerated() {
            epoch.int16(k, at: 48 * k)
            epoch.int16(0, at: 48 * k + 2)
            epoch.int16(1, at: 48 * k + 4)
            epoch.float(e.level, at: 48 * k + 6)
            epoch.int32(e.duration, at: 48 * k + 14)
        }
        if !epochList.isEmpty {
            section(156, entry: 48, count: epochList.count, epoch.bytes)
            // The epoch section: each epoch's digital outputs (none here); readers such as
            // pyABF expect an entry for every epoch of the epoch-per-DAC section.
            var digital = Buffer(count: 32 * epochList.count)
            for k in epochList.indices { digital.int16(k, at: 32 * k) }
            section(124, entry: 32, count: epochList.count, digital.bytes)
        }

        // Strings: an (undocumented) preamble, here zeros, ending in two NULs, then the strings.
        var text = [UInt8](repeating: 0, count: 44)
        for s in strings { text += Array(s.utf8) + [0] }
        section(220, entry: text.count, count: strings.count, text)
        if !spec.tags.isEmpty { section(252, entry: 64, count: spec.tags.count, tags(r)) }
        if !spec.gapFree { section(316, entry: 8, count: spec.sweepCount, synch(r)) }
        section(236, entry: 2, count: spec.sweepCount * n * channels, interleaved(r))

        var header = Buffer(count: block)
        header.text("ABF2", at: 0, width: 4)
        for (k, b) in [0, 0, 6, 2].enumerated() { header.bytes[4 + k] = UInt8(b) }
        header.int32(512, at: 8)
        header.int32(spec.gapFree ? 0 : spec.sweepCount, at: 12)
        header.int32(20261205, at: 16)
        header.int16(1, at: 28)
        header.int16(0, at: 30)
        header.int16(1, at: 32)
        header.int32(1, at: 60)  // creator: string 1
        for (offset, s) in map {
            header.int32(s.0, at: offset)
            header.int32(s.1, at: offset + 4)
            header.int64(s.2, at: offset + 8)
        }
        file.bytes.replaceSubrange(0..<block, with: header.bytes)
        return Data(file.bytes)
    }

    // MARK: - ABF1

    /// ABF 1.83: the 6144-byte extended header, then samples, synch array and tags.
    public static func abf1(_ r: SyntheticRecording) -> Data {
        let spec = r.spec, channels = r.samples.count, n = spec.pointsPerSweep
        var h = Buffer(count: 6144)
        h.text("ABF ", at: 0, width: 4)
        h.float(1.83, at: 4)
        h.int16(spec.gapFree ? 3 : 5, at: 8)
        h.int32(spec.sweepCount * n * channels, at: 10)
        h.int32(spec.gapFree ? 0 : spec.sweepCount, at: 16)
        h.float(1.83, at: 32)
        h.int16(1, at: 36)
        let data = interleaved(r), synchBytes = spec.gapFree ? [] : synch(r), tagBytes = tags(r)
        let dataBlock = 12
        let synchBlock = dataBlock + (data.count + block - 1) / block
        let tagBlock = synchBlock + (synchBytes.count + block - 1) / block
        h.int32(dataBlock, at: 40)
        h.int32(tagBytes.isEmpty ? 0 : tagBlock, at: 44)
        h.int32(spec.tags.count, at: 48)
        h.int32(synchBytes.isEmpty ? 0 : synchBlock, at: 92)
        h.int32(synchBytes.isEmpty ? 0 : spec.sweepCount, at: 96)
        h.int16(0, at: 100)
        h.int16(channels, at: 120)
        h.float(1e6 / spec.sampleRate / Double(channels), at: 122)
        h.float(synchTimeUnit, at: 130)
        h.float(spec.sweepLength, at: 134)
        h.int32(n * channels, at: 138)
        h.int32(spec.gapFree ? 1 : spec.sweepCount, at: 146)
        h.float(spec.gapFree ? 0 : spec.sweepInterval, at: 178)
        h.float(adcRange, at: 244)
        h.float(adcRange, at: 248)
        h.int32(adcResolution, at: 252)
        h.int32(adcResolution, at: 256)
        h.text("kinapse-synth", at: 294, width: 16)
        for c in 0..<16 {
            h.int16(c, at: 378 + 2 * c)
            h.int16(c < channels ? c : -1, at: 410 + 2 * c)
            h.float(1, at: 730 + 4 * c)
            h.float(1, at: 794 + 4 * c)
            h.float(c < 2 ? instrumentScale(channel: c) : 1, at: 922 + 4 * c)
            h.float(1, at: 1050 + 4 * c)
        }
        for c in 0..<channels {
            h.text(names[c], at: 442 + 10 * c, width: 10)
            h.text(units[c], at: 602 + 8 * c, width: 8)
        }
        h.text("Cmd 0", at: 1306, width: 10)
        h.text("mV", at: 1346, width: 8)
        h.float(spec.holding, at: 1394)
        let epochList = epochs(spec)
        if !epochList.isEmpty {
            h.int16(1, at: 2296)
            h.int16(1, at: 2300)
            for (k, e) in epochList.enumerated() {
                h.int16(1, at: 2308 + 2 * k)
                h.float(e.level, at: 2348 + 4 * k)
                h.int32(e.duration, at: 2508 + 4 * k)
            }
        }
        var file = h
        file.bytes += data
        file.pad()
        file.bytes += synchBytes
        file.pad()
        file.bytes += tagBytes
        return Data(file.bytes)
    }
}
