import Foundation
import KinapseUtilities

extension SyntheticRecording.Spec {
    /// The README's worked example (Fixtures/recordings/example_ipscs.abf): paired pulses
    /// 50 ms apart every 20 s for a 5 min baseline, induction at 5 min (a tag), then every
    /// 60 s from 40 s after induction for 25 min, on the test-stimulus grid of
    /// Fixtures/fit/hippocampal_bdnf/paired_induction.toml. The first amplitude potentiates
    /// to 130 % with a 5 min time constant and varies from trial to trial (SD 8 %);
    /// assumption: a time course of the size iLTP reaches, chosen for the example.
    /// 5 kHz, 0.2 s sweeps and one channel keep the file near 80 kB.
    public static var example: Self {
        var s = Self()
        s.sampleRate = 5_000
        s.sweepLength = 0.2
        s.channels = 1
        s.stimulusTimes = [0.1, 0.15]
        s.testPulse = (0.02, 0.03, -5)
        let baseline = (0..<15).map { Double($0) * 20 }
        let after = (0..<25).map { 340 + Double($0) * 60 }
        s.sweepStarts = baseline + after
        s.sweepCount = baseline.count + after.count
        var random = SeededGenerator(seed: 11)
        s.amplitudes = s.starts.map { t in
            let minutes = (t - 300) / 60
            let mean = minutes < 0 ? 100 : 100 * (1 + 0.3 * (1 - exp(-minutes / 5)))
            return mean * (1 + 0.08 * random.nextNormal())
        }
        s.pairedPulseRatios = s.starts.map { $0 < 300 ? 0.7 : 0.62 }
        s.seriesResistance = Array(repeating: 12, count: s.sweepCount)
        s.tags = [(300, "induction: paired depolarisation and 100 Hz")]
        s.seed = 11
        return s
    }

    /// A short recording for format fixtures and fuzz seeds: 6 sweeps, two channels.
    public static var short: Self {
        var s = Self()
        s.sampleRate = 5_000
        s.sweepLength = 0.2
        s.sweepCount = 6
        s.sweepInterval = 10
        s.stimulusTimes = [0.1, 0.15]
        s.testPulse = (0.02, 0.03, -5)
        s.amplitudes = [100, 0, 120, 90, 110, 100]
        s.nominal = Array(repeating: 100, count: 6)
        s.pairedPulseRatios = Array(repeating: 0.7, count: 6)
        s.seriesResistance = [10, 10, 10, 10, 14, 14]
        s.tags = [(25, "induction")]
        s.seed = 3
        return s
    }

    /// The accuracy measurement (Benchmarks/readouts_accuracy.py): 2,000 sweeps of 0.5 s at
    /// 10 kHz and SNR exactly 10 (first amplitude 100 pA, σ = 10 pA), paired pulses 50 ms
    /// apart with PPR 0.7, every fourth first response failing (amplitude 0, sweeps 2, 6, …).
    public static var accuracy: Self {
        var s = Self()
        s.sweepCount = 2000
        s.noise = 10
        s.nominal = Array(repeating: 100, count: 2000)
        s.amplitudes = (0..<2000).map { $0 % 4 == 1 ? 0 : 100 }
        s.pairedPulseRatios = Array(repeating: 0.7, count: 2000)
        s.seriesResistance = Array(repeating: 10, count: 2000)
        s.seed = 25
        return s
    }

    /// The benchmark: one hour at 10 kHz on two channels, 10 s sweeps back to back.
    public static var benchmark: Self {
        var s = Self()
        s.sampleRate = 10_000
        s.sweepLength = 10
        s.sweepInterval = 10
        s.sweepCount = 360
        // pClamp holds the first 1/64 of a sweep (156 ms here) before any epoch.
        s.testPulse = (0.2, 0.05, -5)
        s.stimulusTimes = [0.5, 0.55]
        s.amplitudes = Array(repeating: 100, count: 360)
        s.pairedPulseRatios = Array(repeating: 0.7, count: 360)
        s.seriesResistance = Array(repeating: 10, count: 360)
        s.seed = 5
        return s
    }
}
