import Testing
import Foundation
import CVODEIntegration
import InductionProtocols
import SynapseModel
import SynapseSimulation

/// The ranking of `kinapse sensitivity`: ∂ΔIPSC/∂ln p from forward sensitivities against
/// central differences of ΔIPSC itself.
@Suite struct AmplitudeChangeSensitivityTests {
    /// Toy synapse (SynapseRunTests), short TBS whose analysis window (60–110 s after
    /// induction) lies in its 120 s follow-up, so the summary has a ΔIPSC; all 8 parameters.
    ///
    /// Step and bound: central differences in ln p with step h = 1e-3, each run at rtol
    /// 1e-10, atol 1e-14. ΔIPSC + 100 = 100·ā_after/ā_baseline is a ratio of means of size
    /// S = |ΔIPSC| + 100, so a run's error in it is ≲ 2·C·rtol·S (each mean ≲ C·rtol relative,
    /// C ≤ 40 as in FiniteDifferenceCheck), and the difference quotient's rounding part is
    /// ≲ 2·2·C·rtol·S/(2h) = 2·C·rtol·S/h: for S ≤ 200, 1.6e-3 percentage points per
    /// e-fold, the floor below. Its truncation part, h²/6·|∂³ΔIPSC/∂(ln p)³|, is 1.7e-7·|…|:
    /// below 1e-4·|∂ΔIPSC/∂ln p| wherever the third derivative is less than ~600 times the
    /// first (true of rate laws that change on the scale of p). So each parameter must
    /// satisfy |s − fd| ≤ 1e-4·max(|s|, |fd|) + floor; for those above 100× the floor that is
    /// 1e-4 relative within 1 %, and at least half of the 8 must be.
    @Test func rankingMatchesFiniteDifferencesOfDeltaIPSC() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-rank-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try SynapseRunTests.toyModel(couplePr: true).write(to: dir.appendingPathComponent("toy.ant"), atomically: true, encoding: .utf8)
        try SynapseRunTests.synapseText.write(to: dir.appendingPathComponent("toy.toml"), atomically: true, encoding: .utf8)
        let synapse = try SynapseReader.read(path: dir.appendingPathComponent("toy.toml").path)
        var proto = try SynapseSensitivityTests.shortTBS()
        proto.analysisWindow = 60...110
        var options = IntegratorOptions()
        options.relativeTolerance = 1e-10
        options.absoluteTolerance = 1e-14
        var request = SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(), protocolDefinition: proto, options: options)
        let plain = try PreparedSynapseRun(request)
        request.sensitivityParameters = plain.model.differentiableParameters
        let prepared = try PreparedSynapseRun(request)
        let (change, ranked) = try AmplitudeChangeSensitivities.ranking(request, model: prepared.model, result: try prepared.run())
        #expect(ranked.count == 8)

        let h = 1e-3
        let floor = 2 * 40 * options.relativeTolerance * 200 / h
        var tested = 0
        var worst = 0.0
        for s in ranked {
            func deltaIPSC(_ factor: Double) throws -> Double {
                let run = try plain.run(overrides: [(s.parameter, s.value * factor)])
                return try #require(run.summary).amplitudeChange
            }
            let fd = (try deltaIPSC(exp(h)) - deltaIPSC(exp(-h))) / (2 * h)
            let size = max(abs(s.logDerivative), abs(fd))
            #expect(abs(s.logDerivative - fd) <= 1e-4 * size + floor, "\(s.parameter): \(s.logDerivative) vs finite differences \(fd)")
            if size >= 100 * floor {
                tested += 1
                worst = max(worst, abs(s.logDerivative - fd) / size)
            }
        }
        print("ΔIPSC \(change) %: \(tested) parameters above 100× the floor \(floor), worst relative difference \(worst)")
        #expect(tested >= 4, "too few parameters move ΔIPSC (\(change) %) far above the floor \(floor)")
        let magnitudes = ranked.map { abs($0.logDerivative) }
        #expect(magnitudes == magnitudes.sorted(by: >), "ranked largest first")
    }
}
