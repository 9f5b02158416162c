#if DEBUG || KINAPSE_TEST_HOOKS
import Foundation
internal import CSundials
internal import CSundialsKLU

/// CVODE's step and Newton controls set from the environment, for measuring what they do
/// to a run without a build per setting. Debug and test builds only (`make test` defines
/// KINAPSE_TEST_HOOKS); the shipped release build has neither this type nor its hooks.
///
///     KINAPSE_SOLVER_TUNING=maxord=3,dgmax=0.5,msbp=40,msbj=100,nlscoef=0.3,etamaxfx=1.2,h0=0.5,steplog=/tmp/steps.txt
///
/// Also `maxcor` (Newton iterations per step), `etamaxfs`, `etamaxes`, `etamaxgs` (the step's
/// growth limit on the first step, the early steps and after that), `etaminef`, `etamaxef`
/// (its shrink bounds after an error-test failure), `etacf` (after a convergence failure),
/// `h0abs` (the first step after every restart, in the model's time unit) and `stald=1`
/// (BDF stability limit detection).
///
/// `steplog` appends one line per return of the solver: the time reached, the steps taken
/// since the integrator was created, the last step's order and size, the error-test and
/// convergence failures since the last restart, the state with the largest weighted
/// local error in the last step, and the right-hand sides, linear-solver setups, Jacobians
/// and Newton iterations since the last restart.
struct SolverTuning: Sendable {
    var maximumOrder: Int32?
    var deltaGammaMaxSetup: Double?
    var setupFrequency: Int?
    var jacobianFrequency: Int?
    var nonlinearConvergenceCoefficient: Double?
    var etaMaxFixed: Double?
    var maximumNewtonIterations: Int32?
    var etaMaxFirstStep: Double?
    var etaMaxEarlySteps: Double?
    var etaMaxGeneral: Double?
    var etaMinErrorFailure: Double?
    var etaMaxErrorFailure: Double?
    var etaConvergenceFailure: Double?
    /// After a restart, the first step is this long.
    var restartStep: Double?
    var stabilityLimitDetection = false
    /// After a restart, the first step is this fraction of the last step before it.
    var restartStepFraction: Double?
    /// KLU's row scaling (-1 none, 1 sum, 2 max), block triangular form (0 off), ordering (0 AMD, 1 COLAMD).
    var kluScale: Int?
    var kluBTF: Int?
    var kluOrdering: Int?
    var stepLog: String?

    static let environmentVariable = "KINAPSE_SOLVER_TUNING"

    static let current: SolverTuning? = {
        guard let spec = ProcessInfo.processInfo.environment[environmentVariable], !spec.isEmpty else { return nil }
        var t = SolverTuning()
        for item in spec.split(separator: ",") {
            let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { fatalError("\(environmentVariable): '\(item)' is not KEY=VALUE") }
            switch kv[0] {
            case "maxord": t.maximumOrder = Int32(kv[1])
            case "dgmax": t.deltaGammaMaxSetup = Double(kv[1])
            case "msbp": t.setupFrequency = Int(kv[1])
            case "msbj": t.jacobianFrequency = Int(kv[1])
            case "nlscoef": t.nonlinearConvergenceCoefficient = Double(kv[1])
            case "etamaxfx": t.etaMaxFixed = Double(kv[1])
            case "maxcor": t.maximumNewtonIterations = Int32(kv[1])
            case "etamaxfs": t.etaMaxFirstStep = Double(kv[1])
            case "etamaxes": t.etaMaxEarlySteps = Double(kv[1])
            case "etamaxgs": t.etaMaxGeneral = Double(kv[1])
            case "etaminef": t.etaMinErrorFailure = Double(kv[1])
            case "etamaxef": t.etaMaxErrorFailure = Double(kv[1])
            case "etacf": t.etaConvergenceFailure = Double(kv[1])
            case "h0abs": t.restartStep = Double(kv[1])
            case "stald": t.stabilityLimitDetection = kv[1] == "1"
            case "h0": t.restartStepFraction = Double(kv[1])
            case "kluscale": t.kluScale = Int(kv[1])
            case "klubtf": t.kluBTF = Int(kv[1])
            case "kluordering": t.kluOrdering = Int(kv[1])
            case "steplog": t.stepLog = kv[1]
            default: fatalError("\(environmentVariable): unknown key '\(kv[0])'")
            }
        }
        return t
    }()

    func apply(to memory: UnsafeMutableRawPointer?) {
        if let maximumOrder { _ = CVodeSetMaxOrd(memory, maximumOrder) }
        if let deltaGammaMaxSetup { _ = CVodeSetDeltaGammaMaxLSetup(memory, deltaGammaMaxSetup) }
        if let setupFrequency { _ = CVodeSetLSetupFrequency(memory, setupFrequency) }
        if let jacobianFrequency { _ = CVodeSetJacEvalFrequency(memory, jacobianFrequency) }
        if let nonlinearConvergenceCoefficient { _ = CVodeSetNonlinConvCoef(memory, nonlinearConvergenceCoefficient) }
        if let etaMaxFixed { _ = CVodeSetEtaFixedStepBounds(memory, 0, etaMaxFixed) }
        if let maximumNewtonIterations { _ = CVodeSetMaxNonlinIters(memory, maximumNewtonIterations) }
        if let etaMaxFirstStep { _ = CVodeSetEtaMaxFirstStep(memory, etaMaxFirstStep) }
        if let etaMaxEarlySteps { _ = CVodeSetEtaMaxEarlyStep(memory, etaMaxEarlySteps) }
        if let etaMaxGeneral { _ = CVodeSetEtaMax(memory, etaMaxGeneral) }
        if let etaMinErrorFailure { _ = CVodeSetEtaMinErrFail(memory, etaMinErrorFailure) }
        if let etaMaxErrorFailure { _ = CVodeSetEtaMaxErrFail(memory, etaMaxErrorFailure) }
        if let etaConvergenceFailure { _ = CVodeSetEtaConvFail(memory, etaConvergenceFailure) }
        if stabilityLimitDetection { _ = CVodeSetStabLimDet(memory, SUNTRUE) }
    }

    func apply(toKLU solver: SUNLinearSolver) {
        guard let common = SUNLinSol_KLUGetCommon(solver) else { return }
        if let kluScale { common.pointee.scale = kluScale }
        if let kluBTF { common.pointee.btf = kluBTF }
        if let kluOrdering { common.pointee.ordering = kluOrdering }
    }

    /// The step log's lines, written when the process ends.
    nonisolated(unsafe) static var stepLines: [String] = []
    nonisolated(unsafe) static var flushRegistered = false

    static func logStep(time: Double, steps: Int, memory: UnsafeMutableRawPointer?, state: N_Vector?) {
        guard current?.stepLog != nil else { return }
        if !flushRegistered {
            flushRegistered = true
            atexit {
                guard let path = SolverTuning.current?.stepLog else { return }
                try? SolverTuning.stepLines.joined().write(toFile: path, atomically: false, encoding: .utf8)
            }
        }
        // The order and size of the last step, the failures so far, and the state whose
        // estimated local error weighed most in it (error times weight).
        var order: Int32 = 0, h = 0.0, errorFailures = 0, convergenceFailures = 0
        CVodeGetLastOrder(memory, &order)
        CVodeGetLastStep(memory, &h)
        CVodeGetNumErrTestFails(memory, &errorFailures)
        CVodeGetNumNonlinSolvConvFails(memory, &convergenceFailures)
        var worst = -1
        if let state, let errors = N_VClone(state), let weights = N_VClone(state) {
            if CVodeGetEstLocalErrors(memory, errors) == CV_SUCCESS, CVodeGetErrWeights(memory, weights) == CV_SUCCESS {
                let e = N_VGetArrayPointer(errors)!, w = N_VGetArrayPointer(weights)!
                var largest = -1.0
                for i in 0..<Int(N_VGetLength(state)) where abs(e[i] * w[i]) > largest {
                    largest = abs(e[i] * w[i])
                    worst = i
                }
            }
            N_VDestroy(errors)
            N_VDestroy(weights)
        }
        var rhs = 0, setups = 0, jacobians = 0, newtonIterations = 0
        CVodeGetNumRhsEvals(memory, &rhs)
        CVodeGetNumLinSolvSetups(memory, &setups)
        CVodeGetNumJacEvals(memory, &jacobians)
        CVodeGetNumNonlinSolvIters(memory, &newtonIterations)
        stepLines.append("\(time) \(steps) \(order) \(h) \(errorFailures) \(convergenceFailures) \(worst) \(rhs) \(setups) \(jacobians) \(newtonIterations)\n")
    }
}
#endif
