import Foundation
import SourceDiagnostics
import ConfigFiles

/// Values of a synapse file that only make sense in another unit: a potential written in
/// volts where the file takes millivolts (−0.07 for −70 mV), a concentration in mol/L where
/// it takes mM (0.13 for 130 mM). Both lie inside the accepted ranges, so without this check
/// the rig would run at a holding level of −0.07 mV, or with almost no pipette chloride, and
/// say nothing.
enum UnitSlip {
    /// A potential between −1 and 1 mV other than 0: no rig holds or reverses there.
    static func refuseVolts(_ key: String, _ value: Double, in t: TableReader, _ d: inout DiagnosticCollector) {
        guard value != 0, abs(value) < 1 else { return }
        d.error("'\(key)' is \(format(value)) mV: a potential written in volts?", at: t.table[key]?.range,
                hint: "potentials are in mV: \(format(value)) V is \(format(value * 1000)) mV")
    }

    /// A concentration between 0 and 1 mM other than 0: no pipette solution is that dilute
    /// and not free of the ion.
    static func refuseMolar(_ key: String, _ value: Double, in t: TableReader, _ d: inout DiagnosticCollector) {
        guard value > 0, value < 1 else { return }
        d.error("'\(key)' is \(format(value)) mM: a concentration written in mol/L?", at: t.table[key]?.range,
                hint: "concentrations are in mM: \(format(value)) M is \(format(value * 1000)) mM (write 0 for a solution without it)")
    }

    private static func format(_ x: Double) -> String { String(format: "%g", x) }
}
