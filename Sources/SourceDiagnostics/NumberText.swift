/// Numbers as messages and listings show them.
public enum NumberText {
    /// "100", not "100.0": a whole number without its decimal point, any other as Swift
    /// prints it (the shortest text that reads back to the same value).
    public static func plain(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
    }
}
