import Foundation
import SourceDiagnostics

/// int16 → physical units, as pClamp computes it: the digitiser's range over its
/// resolution, divided by every gain of the signal chain, plus the instrument's offset
/// less the signal conditioner's.
private func adcScale(range: Double, resolution: Int, instrumentScale: Double, signalGain: Double, programmableGain: Double,
                      telegraphGain: Double?) -> Double {
    range / Double(resolution) / (instrumentScale * signalGain * programmableGain * (telegraphGain ?? 1))
}

/// Tags: 64-byte entries of time (int32), comment (56 bytes), type and voice/annotation index.
private func readTags(_ view: ByteView, at start: Int, count: Int, entrySize: Int, timeUnit: Double, sampleInterval: Double,
                      channels: Int) throws(DiagnosticsError) -> [Tag] {
    guard count > 0 else { return [] }
    guard count <= 100_000, entrySize >= 60 else {
        throw RecordingError.error(view.path, "the tag section lists \(count) tags of \(entrySize) bytes; expected at most 100000 of 64")
    }
    var tags: [Tag] = []
    for i in 0..<count {
        let at = start + i * entrySize
        let time = try view.int32(at, "tag \(i + 1)")
        let comment = try view.text(at + 4, 56, "tag \(i + 1)")
        // With no synch time unit, tag times count samples of all channels.
        let seconds = timeUnit > 0 ? Double(time) * timeUnit * 1e-6 : Double(time) * sampleInterval / Double(channels)
        tags.append(Tag(time: seconds, comment: comment))
    }
    return tags
}

/// Sweep start times: 8-byte entries (start, length) in synch time units (µs), or in
/// samples of all channels when the unit is 0.
private func readSynch(_ view: ByteView, at start: Int, count: Int, timeUnit: Double, sampleInterval: Double,
                       channels: Int) throws(DiagnosticsError) -> [Double]? {
    guard count > 0 else { return nil }
    guard count <= 10_000_000 else { throw RecordingError.error(view.path, "the synch array lists \(count) sweeps") }
    try view.require(start, count * 8, "the synch array (\(count) sweeps)")
    var starts: [Double] = []
    starts.reserveCapacity(count)
    for i in 0..<count {
        let t = Double(try view.int32(start + i * 8, "the synch array"))
        starts.append(timeUnit > 0 ? t * timeUnit * 1e-6 : t * sampleInterval / Double(channels))
    }
    return starts
}

enum ABF2Header {
    struct Section {
        var block: Int, bytes: Int, count: Int
        var start: Int { block * ABFReader.blockSize }
    }

    static func read(_ view: ByteView) throws(DiagnosticsError) -> ABFLayout {
        let path = view.path
        try view.require(0, 512, "the ABF2 header")
        // fFileVersionNumber: four bytes, build first.
        let v = (0..<4).map { Int(view.data[view.data.startIndex + 7 - $0]) }
        let version = v.map(String.init).joined(separator: ".")
        guard v[0] == 2 else {
            throw RecordingError.error(path, "ABF version \(version) is not supported (ABF 1.x and 2.x are)",
                                       hint: "open and save the file in a current Clampfit to convert it to ABF 2")
        }
        func section(_ offset: Int, _ name: String) throws(DiagnosticsError) -> Section {
            let s = Section(block: try view.uint32(offset, name), bytes: try view.uint32(offset + 4, name), count: try view.int64(offset + 8, name))
            guard s.count >= 0, s.count < 1 << 40 else { throw RecordingError.error(path, "the \(name) lists \(s.count) entries") }
            return s
        }
        let protocolSection = try section(76, "protocol section")
        let adcSection = try section(92, "ADC section")
        let dacSection = try section(108, "DAC section")
        let epochPerDAC = try section(156, "epoch-per-DAC section")
        let stringsSection = try section(220, "strings section")
        let dataSection = try section(236, "data section")
        let tagSection = try section(252, "tag section")
        let synchSection = try section(316, "synch array section")

        let dataFormat = try view.int16(30, "nDataFormat")
        guard dataFormat == 0 || dataFormat == 1 else {
            throw RecordingError.error(path, "unknown sample format \(dataFormat) (0 is int16, 1 is float32)")
        }
        let p = protocolSection.start
        let operationMode = try view.int16(p, "the protocol section")
        let sequenceInterval = try view.float32(p + 2, "the protocol section")
        let synchTimeUnit = try view.float32(p + 14, "the protocol section")
        let samplesPerEpisode = try view.int32(p + 22, "the protocol section")
        let episodeInterval = try view.float32(p + 62, "the protocol section")
        let adcRange = try view.float32(p + 110, "the protocol section")
        let adcResolution = try view.int32(p + 118, "the protocol section")
        guard adcResolution > 0, adcRange > 0 else {
            throw RecordingError.error(path, "the digitiser's range (\(adcRange) V) or resolution (\(adcResolution)) is not positive")
        }
        let strings = try indexedStrings(view, stringsSection)
        func string(_ index: Int) -> String { strings.indices.contains(index) ? strings[index] : "" }

        // The DAC driving channel i is DAC i (pyABF's pairing of stimulus and channel).
        var dacs: [Int: (holding: Double, unit: String, epochsEnabled: Bool)] = [:]
        guard dacSection.count <= 16 else { throw RecordingError.error(path, "the DAC section lists \(dacSection.count) DACs; at most 16 exist") }
        for i in 0..<dacSection.count where dacSection.bytes >= 44 {
            let at = dacSection.start + i * dacSection.bytes
            let number = try view.int16(at, "DAC \(i)")
            let holding = try view.float32(at + 12, "DAC \(i)")
            let unit = string(try view.int32(at + 28, "DAC \(i)"))
            let waveformEnabled = try view.int16(at + 40, "DAC \(i)")
            let waveformSource = try view.int16(at + 42, "DAC \(i)")
            let enabled = waveformEnabled != 0 && waveformSource == 1
            dacs[number] = (holding, unit, enabled)
        }
        var epochs: [Int: [ABFLayout.Epoch]] = [:]
        guard epochPerDAC.count <= 16 * 50 else { throw RecordingError.error(path, "the epoch section lists \(epochPerDAC.count) epochs") }
        for i in 0..<epochPerDAC.count where epochPerDAC.bytes >= 26 {
            let at = epochPerDAC.start + i * epochPerDAC.bytes
            let dac = try view.int16(at + 2, "epoch \(i)")
            epochs[dac, default: []].append(ABFLayout.Epoch(
                type: try view.int16(at + 4, "epoch \(i)"), level: try view.float32(at + 6, "epoch \(i)"),
                levelIncrement: try view.float32(at + 10, "epoch \(i)"), duration: try view.int32(at + 14, "epoch \(i)"),
                durationIncrement: try view.int32(at + 18, "epoch \(i)")))
        }

        guard adcSection.count >= 1, adcSection.count <= 16 else {
            throw RecordingError.error(path, "the ADC section lists \(adcSection.count) channels; ABF files have 1 to 16")
        }
        guard adcSection.bytes >= 82 else {
            throw RecordingError.error(path, "ADC entries of \(adcSection.bytes) bytes are too short (82 needed)")
        }
        var channels: [ABFLayout.ChannelLayout] = []
        for i in 0..<adcSection.count {
            let at = adcSection.start + i * adcSection.bytes
            let what = "ADC entry \(i)"
            let telegraph = try view.int16(at + 2, what) != 0
            let scale = adcScale(range: adcRange, resolution: adcResolution,
                                 instrumentScale: try view.float32(at + 40, what), signalGain: try view.float32(at + 48, what),
                                 programmableGain: try view.float32(at + 28, what),
                                 telegraphGain: telegraph ? try view.float32(at + 6, what) : nil)
            let offset = try view.float32(at + 44, what) - (try view.float32(at + 52, what))
            let name = string(try view.int32(at + 74, what))
            let unit = string(try view.int32(at + 78, what))
            let dac = dacs[i]
            channels.append(.init(name: name.isEmpty ? "IN \(try view.int16(at, what))" : name, unit: unit, scale: scale, offset: offset,
                                  holding: dac?.holding, commandUnit: dac?.unit,
                                  epochs: dac?.epochsEnabled == true ? epochs[i] ?? [] : []))
        }
        let interval = sequenceInterval * 1e-6
        let synch = synchSection.bytes == 8
            ? try readSynch(view, at: synchSection.start, count: synchSection.count, timeUnit: synchTimeUnit,
                            sampleInterval: interval, channels: channels.count)
            : nil
        return ABFLayout(
            version: version, operationMode: operationMode, sampleInterval: interval, channels: channels,
            isFloat: dataFormat == 1, dataStart: dataSection.start, totalSamples: dataSection.count,
            samplesPerEpisode: samplesPerEpisode, episodeInterval: episodeInterval, synchStarts: synch,
            tags: try readTags(view, at: tagSection.start, count: tagSection.count, entrySize: tagSection.bytes,
                               timeUnit: synchTimeUnit, sampleInterval: interval, channels: channels.count))
    }

    /// The strings section: a binary preamble ending in two NULs, then NUL-separated
    /// strings numbered from 1 (pyABF reads it the same way).
    static func indexedStrings(_ view: ByteView, _ s: Section) throws(DiagnosticsError) -> [String] {
        guard s.count > 0, s.bytes > 0 else { return [""] }
        guard s.bytes <= 1 << 24 else { throw RecordingError.error(view.path, "the strings section claims \(s.bytes) bytes") }
        let raw = [UInt8](try view.bytes(s.start, s.bytes, "the strings section"))
        var start = 0
        if raw.count >= 2 {
            for i in stride(from: raw.count - 2, through: 0, by: -1) where raw[i] == 0 && raw[i + 1] == 0 {
                start = i + 1
                break
            }
        }
        return raw[start...].split(separator: 0, omittingEmptySubsequences: false).map { ByteView.decode($0) }
    }
}

enum ABF1Header {
    static func read(_ view: ByteView) throws(DiagnosticsError) -> ABFLayout {
        let path = view.path
        try view.require(0, 2048, "the ABF1 header")
        let versionNumber = try view.float32(4, "fFileVersionNumber")
        guard versionNumber >= 1, versionNumber < 2 else {
            throw RecordingError.error(path, "ABF version \(versionNumber) is not supported (ABF 1.x and 2.x are)",
                                       hint: "a file starting 'ABF ' should have a version between 1.0 and 2.0")
        }
        // From 1.6 on, the header is 6144 bytes and holds telegraphs, holding levels and epochs per DAC.
        let extended = versionNumber >= 1.6 - 1e-6
        if extended { try view.require(0, 6144, "the ABF1 extended header") }
        let version = String(format: "%.2f", versionNumber)
        let dataFormat = try view.int16(100, "nDataFormat")
        guard dataFormat == 0 || dataFormat == 1 else {
            throw RecordingError.error(path, "unknown sample format \(dataFormat) (0 is int16, 1 is float32)")
        }
        let channelCount = try view.int16(120, "nADCNumChannels")
        guard (1...16).contains(channelCount) else {
            throw RecordingError.error(path, "the header lists \(channelCount) channels; ABF files have 1 to 16")
        }
        // fADCSampleInterval is the interval between samples of successive channels.
        let interval = try view.float32(122, "fADCSampleInterval") * Double(channelCount) * 1e-6
        let synchTimeUnit = try view.float32(130, "fSynchTimeUnit")
        let adcRange = try view.float32(244, "fADCRange")
        let adcResolution = try view.int32(252, "lADCResolution")
        guard adcResolution > 0, adcRange > 0 else {
            throw RecordingError.error(path, "the digitiser's range (\(adcRange) V) or resolution (\(adcResolution)) is not positive")
        }
        var channels: [ABFLayout.ChannelLayout] = []
        for i in 0..<channelCount {
            // Per-ADC arrays are indexed by physical channel; the sampling sequence maps data
            // columns to physical channels.
            let adc = try view.int16(410 + 2 * i, "nADCSamplingSeq")
            guard (0..<16).contains(adc) else {
                throw RecordingError.error(path, "sampling sequence entry \(i) names ADC \(adc); ADCs are numbered 0 to 15")
            }
            let telegraph = extended ? try view.int16(4512 + 2 * adc, "nTelegraphEnable") != 0 : false
            let scale = adcScale(range: adcRange, resolution: adcResolution,
                                 instrumentScale: try view.float32(922 + 4 * adc, "fInstrumentScaleFactor"),
                                 signalGain: try view.float32(1050 + 4 * adc, "fSignalGain"),
                                 programmableGain: try view.float32(730 + 4 * adc, "fADCProgrammableGain"),
                                 telegraphGain: telegraph ? try view.float32(4576 + 4 * adc, "fTelegraphAdditGain") : nil)
            let offset = try view.float32(986 + 4 * adc, "fInstrumentOffset") - (try view.float32(1114 + 4 * adc, "fSignalOffset"))
            let name = try view.text(442 + 10 * adc, 10, "sADCChannelName")
            let unit = try view.text(602 + 8 * adc, 8, "sADCUnits")
            // DACs 0 and 1 carry epochs (extended header); channel i is driven by DAC i.
            var holding: Double?, commandUnit: String?, epochs: [ABFLayout.Epoch] = []
            if i < 4 {
                holding = try view.float32(1394 + 4 * i, "fDACHoldingLevel")
                commandUnit = try view.text(1346 + 8 * i, 8, "sDACChannelUnits")
            }
            if extended, i < 2, try view.int16(2296 + 2 * i, "nWaveformEnable") != 0, try view.int16(2300 + 2 * i, "nWaveformSource") == 1 {
                for e in 0..<10 {
                    let k = i * 10 + e
                    epochs.append(.init(type: try view.int16(2308 + 2 * k, "nEpochType"), level: try view.float32(2348 + 4 * k, "fEpochInitLevel"),
                                        levelIncrement: try view.float32(2428 + 4 * k, "fEpochLevelInc"),
                                        duration: try view.int32(2508 + 4 * k, "lEpochInitDuration"),
                                        durationIncrement: try view.int32(2588 + 4 * k, "lEpochDurationInc")))
                }
            }
            channels.append(.init(name: name.isEmpty ? "IN \(adc)" : name, unit: unit, scale: scale, offset: offset,
                                  holding: holding, commandUnit: commandUnit, epochs: epochs))
        }
        let bytesPerSample = dataFormat == 1 ? 4 : 2
        let dataBlock = try view.int32(40, "lDataSectionPtr")
        let ignored = try view.int16(14, "nNumPointsIgnored")
        guard dataBlock > 0, dataBlock < 1 << 22, ignored >= 0 else {
            throw RecordingError.error(path, "the data section pointer (block \(dataBlock)) is outside the file")
        }
        let synch = try readSynch(view, at: try view.int32(92, "lSynchArrayPtr") * ABFReader.blockSize,
                                  count: try view.int32(96, "lSynchArraySize"), timeUnit: synchTimeUnit, sampleInterval: interval,
                                  channels: channelCount)
        return ABFLayout(
            version: version, operationMode: try view.int16(8, "nOperationMode"), sampleInterval: interval, channels: channels,
            isFloat: dataFormat == 1, dataStart: dataBlock * ABFReader.blockSize + ignored * bytesPerSample,
            totalSamples: try view.int32(10, "lActualAcqLength"), samplesPerEpisode: try view.int32(138, "lNumSamplesPerEpisode"),
            episodeInterval: try view.float32(178, "fEpisodeStartToStart"), synchStarts: synch,
            tags: try readTags(view, at: try view.int32(44, "lTagSectionPtr") * ABFReader.blockSize, count: try view.int32(48, "lNumTagEntries"),
                               entrySize: 64, timeUnit: synchTimeUnit, sampleInterval: interval, channels: channelCount))
    }
}
