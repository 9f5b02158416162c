import Foundation

/// A synapse whose plasticity has a closed form, for the scan tests: each `pre` pulse adds
/// `w` to W, nothing decays, N = 1 + W and Pr = p0, so three pulses give ΔIPSC = ΔN = 300·w %
/// whatever p0 is. Blocker X takes w toward 0 with IC50 1 µM and Hill 1 (10 µM declared),
/// blocker Z with IC50 0.5 µM and Hill 2; blocker Y is all or none.
public enum ScanProbe {
    /// Writes `scan_probe.ant` and `scan_probe.toml` into `dir` (created if needed).
    public static func write(in dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try """
            model *scan_probe()
              W = 0; w = 0.1; p0 = 0.5; k = 0
              J: W -> ; k*W
              Pr := p0; N := 1 + W
            end
            """.write(to: dir.appendingPathComponent("scan_probe.ant"), atomically: true, encoding: .utf8)
        try """
            model = "scan_probe.ant"
            [release]
            sites = 1
            quantal_size = 1
            reference_receptors = 1
            tau_recovery = 0
            [stimuli.pre]
            increments = { W = "w" }
            [blockers.X]
            description = "graded: takes the increment w toward 0 with IC50 1 uM, Hill 1"
            concentration = 10
            ic50 = 1
            route = "bath"
            set = { w = 0 }
            [blockers.Z]
            description = "graded and cooperative: takes w toward 0 with IC50 0.5 uM, Hill 2"
            concentration = 10
            ic50 = 0.5
            hill = 2
            set = { w = 0 }
            [blockers.Y]
            description = "all or none"
            set = { w = 0 }
            """.write(to: dir.appendingPathComponent("scan_probe.toml"), atomically: true, encoding: .utf8)
    }
}
