import Testing
import Foundation
import Recordings
import SyntheticRecordings
import SourceDiagnostics
import PathwayTestSupport
import KinapseUtilities

/// Reading what the project's writer wrote gives back the generated samples, to the
/// precision of the storage: int16 in ABF (half a step of 10 V / 32768 / gain: 0.31 pA on
/// the current channel at 0.5 mV/pA, 0.015 mV on the voltage channel at 10 mV/mV), float32
/// in NWB (relative 2⁻²⁴ ≈ 6·10⁻⁸ of values up to ~2000 pA: 1.2·10⁻⁴ pA).
@Suite struct RecordingReaderTests {
    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-recordings-\(ProcessInfo.processInfo.processIdentifier)-\(name)").path
    }

    static let short = SyntheticRecording(.short)

    static func check(_ recording: Recording, against synthetic: SyntheticRecording, currentTolerance: Double, voltageTolerance: Double) throws {
        let spec = synthetic.spec
        #expect(recording.sweeps.count == spec.sweepCount)
        #expect(recording.channels.count == synthetic.samples.count)
        #expect(abs(recording.sampleRate - spec.sampleRate) < 1e-6 * spec.sampleRate)
        #expect(recording.channels[0].unit == "pA" && recording.channels[0].quantity == .current)
        #expect(recording.channels[0].clamp == .voltage)
        #expect(recording.channels[0].holding == spec.holding)
        for (s, sweep) in recording.sweeps.enumerated() {
            #expect(abs(sweep.startTime - spec.starts[s]) <= 1.0001 / spec.sampleRate)
            #expect(sweep.sampleCount == spec.pointsPerSweep)
            for c in recording.channels.indices {
                let read = try recording.samples(channel: c, sweep: s)
                let tolerance = c == 0 ? currentTolerance : voltageTolerance
                let worst = zip(read, synthetic.samples[c][s]).map { abs($0 - $1) }.max() ?? .infinity
                #expect(worst <= tolerance, "sweep \(s + 1), channel \(c): off by \(worst)")
            }
        }
    }

    @Test func abf2GivesBackTheSamplesTheCommandAndTheTags() throws {
        let data = ABFWriter.abf2(Self.short)
        let recording = try ABFReader.read(data, path: "short.abf")
        #expect(recording.format == .abf2 && recording.version == "2.6.0.0" && recording.mode == .episodic)
        try Self.check(recording, against: Self.short, currentTolerance: 0.31, voltageTolerance: 0.016)
        #expect(recording.channels.map(\.name) == ["IN 0", "IN 1"])
        #expect(recording.channels[1].unit == "mV" && recording.channels[1].quantity == .voltage)
        // The epoch waveform is the generator's command exactly: holding, then the step.
        for s in recording.sweeps.indices {
            #expect(try recording.command(channel: 0, sweep: s) == Self.short.samples[1][s])
        }
        #expect(recording.tags.map(\.comment) == ["induction"])
        #expect(abs(recording.tags[0].time - 25) < 1e-9)
    }

    @Test func abf1GivesBackTheSamplesAndTheCommand() throws {
        let recording = try ABFReader.read(ABFWriter.abf1(Self.short), path: "short.abf")
        #expect(recording.format == .abf1 && recording.version == "1.83")
        try Self.check(recording, against: Self.short, currentTolerance: 0.31, voltageTolerance: 0.016)
        #expect(try recording.command(channel: 0, sweep: 2) == Self.short.samples[1][2])
        #expect(recording.tags.map(\.comment) == ["induction"])
    }

    @Test func gapFreeIsOneLongSweep() throws {
        var spec = SyntheticRecording.Spec.short
        spec.gapFree = true
        let synthetic = SyntheticRecording(spec)
        let recording = try ABFReader.read(ABFWriter.abf2(synthetic), path: "gapfree.abf")
        #expect(recording.mode == .gapFree && recording.sweeps.count == 1)
        #expect(recording.sweeps[0].sampleCount == spec.sweepCount * spec.pointsPerSweep)
        let third = try recording.samples(channel: 0, sweep: 0, range: 2 * spec.pointsPerSweep..<3 * spec.pointsPerSweep)
        #expect(zip(third, synthetic.samples[0][2]).allSatisfy { abs($0 - $1) <= 0.31 })
    }

    @Test func nwbGivesBackTheSamplesUnitsAndCommand() throws {
        let path = Self.temporary("short.nwb")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try NWBWriter.write(Self.short, to: path)
        let recording = try RecordingReader.read(path: path)
        #expect(recording.format == .nwb && recording.version == "2.6.0")
        #expect(recording.channels.count == 1 && recording.channels[0].name == "electrode0")
        #expect(recording.channels[0].unit == "pA" && recording.channels[0].clamp == .voltage && recording.channels[0].holding == 0)
        for s in recording.sweeps.indices {
            #expect(abs(recording.sweeps[s].startTime - Self.short.spec.starts[s]) < 1e-12)
            let read = try recording.samples(channel: 0, sweep: s)
            #expect(zip(read, Self.short.samples[0][s]).allSatisfy { abs($0 - $1) <= 2e-4 })
            let command = try #require(try recording.command(channel: 0, sweep: s))
            #expect(zip(command, Self.short.samples[1][s]).allSatisfy { abs($0 - $1) <= 1e-5 })
        }
    }

    /// The committed recordings are what `kinapse-synth-recording` writes today
    /// (Fixtures/recordings/README.md): ABF byte for byte; NWB (HDF5 stores creation times)
    /// by content.
    @Test(arguments: [("example_ipscs.abf", "example", "abf2"), ("short_abf2.abf", "short", "abf2"), ("short_abf1.abf", "short", "abf1")])
    func committedABFFixturesAreReproducible(_ file: String, _ preset: String, _ format: String) throws {
        let spec: SyntheticRecording.Spec = preset == "example" ? .example : .short
        let written = format == "abf1" ? ABFWriter.abf1(SyntheticRecording(spec)) : ABFWriter.abf2(SyntheticRecording(spec))
        let committed = try Data(contentsOf: TestModels.repositoryRoot.appendingPathComponent("Fixtures/recordings/\(file)"))
        #expect(committed == written, "regenerate with: swift run kinapse-synth-recording \(preset) \(format) Fixtures/recordings/\(file)")
    }

    @Test func committedNWBFixtureHoldsTheShortRecording() throws {
        let recording = try RecordingReader.read(path: TestModels.repositoryRoot.appendingPathComponent("Fixtures/recordings/short.nwb").path)
        for s in recording.sweeps.indices {
            #expect(zip(try recording.samples(channel: 0, sweep: s), Self.short.samples[0][s]).allSatisfy { abs($0 - $1) <= 2e-4 })
        }
    }

    /// A file written by pyNWB itself (Fixtures/recordings/make_pynwb_fixture.py): the
    /// reader follows the reference writer, not only the project's own. Conversions are
    /// float32 (1e-12 and 1e-3 carry a relative error near 3·10⁻⁸), hence 10⁻⁴ on values ≤ 120.
    @Test func aFileWrittenByPyNWBIsRead() throws {
        let path = TestModels.repositoryRoot.appendingPathComponent("Fixtures/recordings/pynwb_vclamp.nwb").path
        let recording = try RecordingReader.read(path: path)
        #expect(recording.format == .nwb && recording.version.hasPrefix("2."))
        #expect(recording.channels.count == 1 && recording.channels[0].name == "cell1")
        #expect(recording.channels[0].unit == "pA" && recording.channels[0].clamp == .voltage)
        #expect(abs((recording.channels[0].holding ?? 0) + 70) < 1e-4)
        #expect(recording.sampleRate == 10_000 && recording.sweeps.map(\.startTime) == [0, 10, 20])
        for k in 0..<3 {
            let current = try recording.samples(channel: 0, sweep: k)
            #expect(current.count == 2000)
            #expect(current.indices.allSatisfy { abs(current[$0] - Double($0 % 200 - 100 + 10 * k)) < 1e-4 })
            let command = try #require(try recording.command(channel: 0, sweep: k))
            #expect(command.indices.allSatisfy { abs(command[$0] - ((200..<700).contains($0) ? -75 : -70)) < 1e-4 })
        }
    }

    /// An ABF 1.3 file (the 2048-byte header) written by pyABF's ABF1 writer
    /// (Fixtures/recordings/make_pyabf_fixture.py); its int16 steps are 10 V / 32768 / 0.1 V/pA
    /// = 0.0031 pA, and the writer truncates rather than rounds (pyABF reads the same values
    /// back, e.g. −46.9971 for −47), so values come back within one step.
    @Test func aFileWrittenByPyABFIsRead() throws {
        let path = TestModels.repositoryRoot.appendingPathComponent("Fixtures/recordings/pyabf_abf1.abf").path
        let recording = try RecordingReader.read(path: path)
        #expect(recording.format == .abf1 && recording.version == "1.30")
        #expect(recording.channels.count == 1 && recording.channels[0].unit == "pA")
        #expect(recording.sampleRate == 10_000 && recording.sweeps.count == 3)
        for k in 0..<3 {
            let current = try recording.samples(channel: 0, sweep: k)
            #expect(current.count == 1000)
            let worst = current.indices.max { abs(current[$0] - Double($0 % 100 - 50 + 25 * k)) < abs(current[$1] - Double($1 % 100 - 50 + 25 * k)) }!
            #expect(abs(current[worst] - Double(worst % 100 - 50 + 25 * k)) <= 0.0031, "sweep \(k), sample \(worst): \(current[worst])")
        }
    }

    @Test func channelsAreFoundByIndexOrName() throws {
        let recording = try ABFReader.read(ABFWriter.abf2(Self.short), path: "short.abf")
        #expect(recording.channelIndex(named: "1") == 1)
        #expect(recording.channelIndex(named: "in 1") == 1)
        #expect(recording.channelIndex(named: "2") == nil && recording.channelIndex(named: "Vm") == nil)
    }
}

/// Bad files end in one clear diagnostic, never a crash: one failure kind per row.
@Suite struct BadRecordingTests {
    static let abf2 = ABFWriter.abf2(SyntheticRecording(.short))
    static let abf1 = ABFWriter.abf1(SyntheticRecording(.short))

    static func message(_ data: Data) -> String? {
        do {
            _ = try ABFReader.read(data, path: "bad.abf")
            return nil
        } catch {
            return error.diagnostics.first?.message
        }
    }

    static func patched(_ data: Data, at offset: Int, _ bytes: [UInt8]) -> Data {
        var d = data
        d.replaceSubrange(offset..<offset + bytes.count, with: bytes)
        return d
    }

    static func damaged(_ kind: String) -> Data {
        switch kind {
        case "truncated in the data": return abf2.prefix(abf2.count - 1000)
        case "truncated in the header": return abf2.prefix(300)
        case "ABF1 truncated": return abf1.prefix(4000)
        case "wrong magic": return patched(abf2, at: 0, Array("ABX2".utf8))
        case "ABF version 3": return patched(abf2, at: 7, [3])
        case "ABF1 version 2.5": return patched(abf1, at: 4, withUnsafeBytes(of: Float(2.5).bitPattern.littleEndian) { Array($0) })
        // nOperationMode, the first field of the protocol section (block 1).
        case "variable-length events": return patched(abf2, at: 512, [1, 0])
        case "unknown sample format": return patched(abf2, at: 30, [7, 0])
        // fInstrumentScaleFactor of the first ADC entry (block 2, offset 40).
        default: return patched(abf2, at: 2 * 512 + 40, [0, 0, 0, 0])
        }
    }

    @Test(arguments: [
        ("truncated in the data", "truncated"),
        ("truncated in the header", "truncated"),
        ("ABF1 truncated", "truncated"),
        ("wrong magic", "not an ABF file"),
        ("ABF version 3", "ABF version 3.6.0.0 is not supported"),
        ("ABF1 version 2.5", "ABF version 2.5 is not supported"),
        ("variable-length events", "event-driven variable-length"),
        ("unknown sample format", "unknown sample format 7"),
        ("zero gain", "zero or non-finite scale"),
    ])
    func abfProblems(_ kind: String, _ expected: String) {
        let message = Self.message(Self.damaged(kind))
        #expect(message?.contains(expected) == true, "\(kind): \(message ?? "no error")")
    }

    /// A cheap, seeded stand-in for the fuzzer in every test run: damaged copies (bytes
    /// overwritten in the header and sections, or the file cut short) are read and every
    /// sample and command they promise decoded; each either reads or fails with a diagnostic.
    @Test(arguments: ["abf1", "abf2"])
    func damagedCopiesFailCleanly(_ format: String) {
        let good = format == "abf1" ? Self.abf1 : Self.abf2
        var random = SeededGenerator(seed: 17)
        var failures = 0
        for _ in 0..<400 {
            var bytes = [UInt8](good)
            if random.nextUniform() < 0.2 {
                bytes.removeLast(Int(random.nextUniform() * Double(bytes.count)))
            } else {
                // Most fields live in the first 6144 bytes (ABF1 header, ABF2 sections).
                for _ in 0..<(1 + Int(random.nextUniform() * 8)) where !bytes.isEmpty {
                    let at = Int(random.nextUniform() * Double(min(bytes.count, 6144)))
                    bytes[at] = UInt8(truncatingIfNeeded: random.next())
                }
            }
            do {
                let r = try ABFReader.read(Data(bytes), path: "damaged.abf")
                for s in r.sweeps.indices where r.sweeps[s].sampleCount <= 1 << 20 {
                    for c in r.channels.indices {
                        _ = try r.samples(channel: c, sweep: s)
                        _ = try r.command(channel: c, sweep: s)
                    }
                }
            } catch {
                #expect(!error.diagnostics.isEmpty)
                failures += 1
            }
        }
        #expect(failures > 0)
    }

    @Test func aFileThatIsNeitherABFNorNWBIsRefused() throws {
        let path = RecordingReaderTests.temporary("notes.abf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "time,ipsc\n1,2\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: DiagnosticsError.self) { try RecordingReader.read(path: path) }
        do { _ = try RecordingReader.read(path: path) } catch {
            #expect(error.diagnostics[0].message.contains("neither ABF"))
        }
    }

    @Test func nwbWithoutIcephysIsRefused() throws {
        let path = RecordingReaderTests.temporary("empty.nwb")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try NWBWriter.write(SyntheticRecording(.short), to: path, includeIcephys: false)
        do {
            _ = try RecordingReader.read(path: path)
            Issue.record("read an NWB file without icephys")
        } catch {
            #expect(error.diagnostics[0].message.contains("no intracellular recordings"))
        }
    }

    @Test func truncatedNWBIsRefused() throws {
        let path = RecordingReaderTests.temporary("cut.nwb")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try NWBWriter.write(SyntheticRecording(.short), to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        #expect(throws: DiagnosticsError.self) {
            let r = try RecordingReader.read(path: path)
            for s in r.sweeps.indices { _ = try r.samples(channel: 0, sweep: s) }
        }
    }
    /// HDF5 1.10.8 segfaults reading variable-length string attributes from a damaged global
    /// heap (`H5HG_read`). Damaging the heap of a written file in 60 seeded ways: every copy is
    /// read or refused with a diagnostic, the run survives, and at least one copy is refused as
    /// a crash of the isolated reader (so the isolation is what saved the run; about a tenth of
    /// such copies crashed HDF5 when this was written).
    @Test func aDamagedGlobalHeapIsRefusedNotFatal() throws {
        let path = RecordingReaderTests.temporary("heap.nwb")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try NWBWriter.write(SyntheticRecording(.short), to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let heaps = bytes.indices.dropLast(4).filter { Array(bytes[$0..<$0 + 4]) == Array("GCOL".utf8) }
        try #require(!heaps.isEmpty, "the writer stores variable-length strings in a global heap")
        var generator = SeededGenerator(seed: 11)
        var crashes = 0
        for _ in 0..<60 {
            var copy = bytes
            let heap = heaps.randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let offset = min(copy.count - 1, heap + Int.random(in: 0..<200, using: &generator))
                copy[offset] = UInt8.random(in: 0...255, using: &generator)
            }
            do {
                _ = try NWBReader.read(image: copy, path: "heap.nwb")
            } catch {
                if error.diagnostics[0].message.contains("HDF5 crashed") { crashes += 1 }
            }
        }
        #expect(crashes >= 1)
    }
}
