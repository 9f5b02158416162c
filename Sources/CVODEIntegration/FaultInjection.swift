#if DEBUG || KINAPSE_TEST_HOOKS
import Foundation
internal import CSundials

/// A solver failure forced at a chosen time, so that tests can check how every kind of
/// failure is reported (message, time, culprit, partial output) without hunting for a
/// model that happens to fail that way on this machine's SUNDIALS.
///
/// Debug and test builds only (`make test` defines KINAPSE_TEST_HOOKS): the shipped release
/// build contains neither this type nor its hooks. Set from
/// the environment, read once per process, so that it reaches a `kinapse` subprocess:
///
///     KINAPSE_INJECT_FAULT=too-much-work@12.5      CVODE gives up with CV_TOO_MUCH_WORK at t = 12.5
///     KINAPSE_INJECT_FAULT=error-test@3            CV_ERR_FAILURE (repeated error-test failures)
///     KINAPSE_INJECT_FAULT=convergence@3           CV_CONV_FAILURE (repeated Newton failures)
///     KINAPSE_INJECT_FAULT=nan@3                   the first state's derivative becomes NaN from t = 3 on
///
/// The first three stop the integration at the time given (as a stop time, so the rows
/// before it are computed normally) and then report the flag as CVODE would. `nan`
/// poisons the right-hand side itself, so CVODE's own recovery and failure path runs.
struct InjectedFault: Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case tooMuchWork = "too-much-work", errorTest = "error-test", convergence, nan
    }
    let kind: Kind
    let time: Double

    static let environmentVariable = "KINAPSE_INJECT_FAULT"

    /// The fault requested for this process, if any.
    static let current: InjectedFault? = {
        guard let spec = ProcessInfo.processInfo.environment[environmentVariable], !spec.isEmpty else { return nil }
        let parts = spec.split(separator: "@", maxSplits: 1).map(String.init)
        guard parts.count == 2, let kind = Kind(rawValue: parts[0]), let time = Double(parts[1]), time.isFinite else {
            let kinds = Kind.allCases.map(\.rawValue).joined(separator: ", ")
            fatalError("\(environmentVariable)='\(spec)': expected KIND@TIME with KIND one of \(kinds)")
        }
        return InjectedFault(kind: kind, time: time)
    }()

    /// The CVODE flag reported for a fault that stops the integration (not `nan`).
    var flag: Int32? {
        switch kind {
        case .tooMuchWork: CV_TOO_MUCH_WORK
        case .errorTest: CV_ERR_FAILURE
        case .convergence: CV_CONV_FAILURE
        case .nan: nil
        }
    }
}
#endif
