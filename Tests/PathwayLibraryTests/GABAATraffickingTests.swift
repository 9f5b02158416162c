import Testing
import Foundation
import AntimonyFrontEnd
import PathwayModel
import ModelCompiler
import Simulation
import KineticsCore
import CVODEIntegration
import PathwayTestSupport

/// Physiological behaviour of Pathways/gabaa_trafficking.ant. Sources are the file's
/// bracketed abbreviations; numbers that are model assumptions are said to be.
@Suite struct GABAATraffickingTests {
    static let receptorPools = ["R_int", "R_int_P", "R_ext", "R_ext_dP", "R_syn", "R_syn_dP"]
    static let gephyrinPools = ["Geph_res", "Geph_free", "R_syn", "R_syn_dP"]

    func pathway() throws -> Pathway {
        try AntimonyLoader.load(path: TestModels.repositoryRoot.appendingPathComponent("Pathways/gabaa_trafficking.ant").path)
    }

    @Test func restingStateStaysPutWithTensOfSynapticReceptors() throws {
        let run = try GABAAHelp.simulate(pathway(), tEnd: 2400, points: 25, rtol: 1e-8)
        let nSyn = try #require(run.trajectory.series("N_syn"))
        // [Nusser97]: quanta saturate synapses holding < 80 receptors; synapses hold tens.
        #expect(nSyn[0] > 20 && nSyn[0] < 80, "N_syn at rest \(nSyn[0])")
        // Initial values are the resting steady state: no drift beyond rounding of the
        // values written in the file (10 significant digits).
        for name in ["N_syn", "N_surf", "CaMKII_active", "R_int", "Geph_free"] {
            let s = try #require(run.trajectory.series(name))
            let drift = s.map { abs($0 - s[0]) }.max()!
            #expect(drift <= 1e-6 * abs(s[0]) + 1e-9, "\(name) drifts by \(drift)")
        }
    }

    /// Chemical iLTP: bath NMDA for 2 min raises dendritic Ca2+ to a sub-µM plateau
    /// (here Ca_rest = 0.7 µM from t = 60 s to 180 s), activates CaMKII and inserts
    /// receptors. [Marsden07]: surface/synaptic GABA-A receptors rise by about 30-50%
    /// within tens of minutes, CaMKII-dependent; [Petrini14]: gephyrin is recruited.
    @Test func chemicalILTPRaisesSynapticReceptorsByThirtyToFiftyPercent() throws {
        var p = try pathway()
        GABAAHelp.addStep(&p, "Ca_rest", to: 0.7, at: 60)
        GABAAHelp.addStep(&p, "Ca_rest", to: 0.05, at: 180)
        let run = try GABAAHelp.simulate(p, tEnd: 2400, points: 161, rtol: 1e-8)   // 15 s grid
        let t = run.trajectory.times
        let nSyn = try #require(run.trajectory.series("N_syn"))
        let camkii = try #require(run.trajectory.series("CaMKII_active"))
        let gephSynapse = try zip(#require(run.trajectory.series("Geph_free")), nSyn).map { $0 + $1 }
        let base = nSyn[0]
        // CaMKII is strongly activated during the plateau (µM of 10 µM total).
        #expect(camkii[GABAAHelp.index(t, 180)] > 1, "CaMKII_active at end of plateau \(camkii[GABAAHelp.index(t, 180)])")
        // 20 and 30 min after the stimulus: +30-50% [Marsden07].
        for minutes in [20.0, 30.0] {
            let gain = nSyn[GABAAHelp.index(t, 180 + 60 * minutes)] / base - 1
            #expect(gain >= 0.30 && gain <= 0.50, "N_syn gain at \(minutes) min: \(gain)")
        }
        // More gephyrin at the synapse after iLTP [Petrini14].
        #expect(gephSynapse[GABAAHelp.index(t, 180 + 1200)] > 1.2 * gephSynapse[0])
        // No effect without CaMKII ([Marsden07] KN-93 block; [Kano96] for rebound
        // potentiation): the same protocol with CaMKII unable to bind Ca/CaM.
        var blocked = try pathway()
        GABAAHelp.addStep(&blocked, "Ca_rest", to: 0.7, at: 60)
        GABAAHelp.addStep(&blocked, "Ca_rest", to: 0.05, at: 180)
        let blockedRun = try GABAAHelp.simulate(blocked, tEnd: 2400, points: 161, rtol: 1e-8, overrides: [("k_CaMKII_on", 0)])
        let blockedN = try #require(blockedRun.trajectory.series("N_syn"))
        #expect(abs(blockedN[GABAAHelp.index(t, 180 + 1200)] / blockedN[0] - 1) < 0.02)
    }

    /// Calcineurin disperses synaptic receptors within minutes by lateral diffusion, not
    /// endocytosis, and the reduction is transient ([Bannai09], [Muir10]). Stimulus:
    /// CaN_active stepped from rest (0.036 µM) to 0.5 µM for 10 min (assumption: a strong but
    /// sub-saturating calcineurin activity).
    @Test func calcineurinDispersesSynapticReceptorsWithinMinutes() throws {
        var p = try pathway()
        let rest = try #require(GABAAHelp.initialValue(p, "CaN_active"))
        GABAAHelp.addStep(&p, "CaN_active", to: 0.5, at: 60)
        GABAAHelp.addStep(&p, "CaN_active", to: rest, at: 660)
        let run = try GABAAHelp.simulate(p, tEnd: 1800, points: 121, rtol: 1e-8)   // 15 s grid
        let t = run.trajectory.times
        let nSyn = try #require(run.trajectory.series("N_syn"))
        let nSurf = try #require(run.trajectory.series("N_surf"))
        let base = nSyn[0]
        // Within 3 min of calcineurin activation synaptic receptors fall by more than a third.
        #expect(nSyn[GABAAHelp.index(t, 240)] < 0.67 * base, "N_syn 3 min after CaN: \(nSyn[GABAAHelp.index(t, 240)]) of \(base)")
        // Redistribution, not loss: surface receptors change far less than synaptic ones.
        #expect(abs(nSurf[GABAAHelp.index(t, 240)] / nSurf[0] - 1) < 0.1)
        // Transient: 10 min after calcineurin returns to rest, N_syn is back above 85%.
        #expect(nSyn[GABAAHelp.index(t, 1260)] > 0.85 * base, "N_syn 10 min after CaN ends: \(nSyn[GABAAHelp.index(t, 1260)])")
    }

    /// Residence of anchored receptors: clusters are stable at rest [Muir10] while
    /// receptors exchange with the extrasynaptic membrane by lateral diffusion
    /// [Saliba12]; calcineurin shortens residence (faster diffusion, larger confinement,
    /// [Bannai09]). The population residence time N_syn/(release flux) is a model
    /// assumption of ~100 s at rest; the test checks its order and the calcineurin effect.
    @Test func calcineurinShortensSynapticResidence() throws {
        func residence(canActive: Double) throws -> Double {
            var p = try pathway()
            GABAAHelp.addStep(&p, "CaN_active", to: canActive, at: 1)
            let run = try GABAAHelp.simulate(p, tEnd: 121, points: 122, rtol: 1e-8, columns: ["R_syn", "R_syn_dP", "k_off", "k_off_dP"])
            // Release flux = k_off*R_syn + k_off_dP*R_syn_dP, read at 120 s.
            let last = run.trajectory.rowCount - 1
            let v = (0..<4).map { run.trajectory.value(row: last, column: $0) }
            return (v[0] + v[1]) / (v[2] * v[0] + v[3] * v[1])
        }
        let rest = try residence(canActive: #require(GABAAHelp.initialValue(pathway(), "CaN_active"))), dispersing = try residence(canActive: 0.5)
        #expect(rest > 60 && rest < 600, "resting residence \(rest) s")
        #expect(dispersing < 0.5 * rest, "residence with calcineurin \(dispersing) s vs \(rest) s")
    }

    /// Receptors and gephyrin slots are conserved (no synthesis or degradation in the file)
    /// through 2,400 s of theta-burst-driven Ca2+.
    @Test func conservedTotalsHoldUnderThetaBurst() throws {
        var p = try pathway()
        Stimuli.addPulses(to: &p, input: "Ca", amount: .symbol("dCa", nil), at: Stimuli.thetaBurstTimes(start: 1, end: 2400, trainInterval: 120))
        let rtol = 1e-8, atol = 1e-12
        let run = try GABAAHelp.simulate(p, tEnd: 2400, points: 241, rtol: rtol, atol: atol)
        #expect(run.failure == nil)
        for pools in [Self.receptorPools, Self.gephyrinPools] {
            let worst = conservationDrift(run, pools: pools, rtol: rtol, atol: atol)
            // Measured: 1.5e-6 (receptors) and 5.1e-6 (gephyrin) tolerance units, i.e.
            // round-off (each reaction enters the sum with opposite signs). C = 0.01.
            #expect(worst <= 0.01, "\(pools): \(worst) tolerance units")
        }
    }

    /// 2,400 s of theta-burst Ca2+ (a train of 10 bursts × 4 pulses every 2 min) at
    /// rtol 1e-6 and 1e-8: no solver failure, and the runs agree to 1e-4 of each
    /// column's maximum.
    @Test func thetaBurstRunsAgreeAcrossTolerances() throws {
        var p = try pathway()
        Stimuli.addPulses(to: &p, input: "Ca", amount: .symbol("dCa", nil), at: Stimuli.thetaBurstTimes(start: 1, end: 2400, trainInterval: 120))
        let loose = try GABAAHelp.simulate(p, tEnd: 2400, points: 241, rtol: 1e-6)
        let tight = try GABAAHelp.simulate(p, tEnd: 2400, points: 241, rtol: 1e-8)
        #expect(loose.failure == nil && tight.failure == nil)
        // Measured: 7.4e-5, in CaMKII_P (autophosphorylation accumulates the error of
        // every Ca2+ pulse), so the margin to 1e-4 is small.
        let worst = largestRelativeDifference(loose.trajectory, tight.trajectory)
        #expect(worst.value <= 1e-4, "\(worst.column): \(worst.value)")
        // The stimulus did something: iLTP-like rise of synaptic receptors.
        let nSyn = try #require(tight.trajectory.series("N_syn"))
        #expect(nSyn.last! > 1.2 * nSyn[0])
    }
}

// MARK: - helpers (file-private: other pathway test files keep their own)

fileprivate enum GABAAHelp {
    /// Every species, then the assigned outputs (the default columns are species only).
    static let columns = ["Ca", "CaN_active", "PKA_active", "PKC_active", "CaMKII", "CaMKII_CaM", "CaMKII_P",
                          "R_int", "R_int_P", "R_ext", "R_ext_dP", "R_syn", "R_syn_dP", "Geph_free", "Geph_res",
                          "CaMKII_active", "N_syn", "N_surf"]

    /// Adds `at (time >= t): variable = value`; a parameter set by an event becomes variable.
    static func addStep(_ p: inout Pathway, _ variable: String, to value: Double, at t: Double) {
        if let i = p.parameters.firstIndex(where: { $0.id == variable }) { p.parameters[i].isConstant = false }
        p.events.append(Event(id: "step\(p.events.count)", trigger: .binary(.greaterEqual, .time, .number(t)),
                              assignments: [.init(variable: variable, expression: .number(value))]))
    }

    static func simulate(_ p: Pathway, tEnd: Double, points: Int, rtol: Double, atol: Double = 1e-12,
                         columns: [String] = columns, overrides: [(name: String, value: Double)] = []) throws -> SimulationResult {
        let model = try ModelCompiler.compile(p)
        let result = try Simulator(model: model).run(SimulationRequest(
            grid: TimeGrid(end: tEnd, count: points), columns: columns, overrides: overrides,
            options: IntegratorOptions(relativeTolerance: rtol, absoluteTolerance: atol)))
        #expect(result.failure == nil, "\(result.failure.map(String.init(describing:)) ?? "")")
        return result
    }

    /// A species' initial value when it is written as a number.
    static func initialValue(_ p: Pathway, _ id: String) -> Double? {
        guard case .number(let v)? = p.species.first(where: { $0.id == id })?.initialValue else { return nil }
        return v
    }

    /// Row of the output grid nearest to time `time`.
    static func index(_ times: [Double], _ time: Double) -> Int {
        times.indices.min { abs(times[$0] - time) < abs(times[$1] - time) }!
    }
}
