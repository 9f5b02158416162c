public import SourceDiagnostics
public import PathwayModel

/// An SBML model as read: the kinetic model and, for an fbc model, its flux-balance constraints.
public struct SBMLModel: Sendable {
    public var pathway: Pathway
    public var fluxBalance: FluxBalanceConstraints?
    /// Whether any reaction has a kinetic law, so that the model has a time course.
    public var hasKineticLaws: Bool
    /// SBML ids that the pathway spells differently (`time`, reserved for the simulation
    /// time, becomes `time_`).
    public var renamedIds: [String: String]

    /// The pathway's name for an SBML id.
    public func pathwayName(_ id: String) -> String { renamedIds[id] ?? id }
}

/// Reads SBML Level 2 and 3 files (core) into a `Pathway`.
///
/// The XML is read by `XMLParser` (no external entities, no network, bounded depth and
/// size). Features the engine cannot simulate faithfully are refused with an
/// `unsupported: <feature> (at line:column)` error rather than simulated wrongly.
public enum SBMLLoader {
    /// The kinetic model; a flux-balance model without kinetic laws is refused, since it
    /// has no time course (`loadModel` reads its constraints).
    public static func load(path: String) throws(DiagnosticsError) -> Pathway {
        try load(source: SourceFile.read(path: path))
    }

    public static func load(source: SourceFile) throws(DiagnosticsError) -> Pathway {
        let model = try loadModel(source: source)
        if let fbc = model.fluxBalance, !model.hasKineticLaws, !model.pathway.reactions.isEmpty {
            let objective = fbc.active.map { " (objective '\($0.id)')" } ?? ""
            throw DiagnosticsError(.error(
                "'\(source.path)' is a flux-balance model\(objective): its reactions have fbc flux bounds and no kinetic laws, so it has no time course",
                at: fbc.range, hint: "'kinapse fba \(source.path)' solves its linear program for the optimal fluxes"))
        }
        return model.pathway
    }

    public static func loadModel(path: String) throws(DiagnosticsError) -> SBMLModel {
        try loadModel(source: SourceFile.read(path: path))
    }

    public static func loadModel(source: SourceFile) throws(DiagnosticsError) -> SBMLModel {
        let root = try XMLParser.parse(source)
        var converter = SBMLConverter(root: root)
        let pathway = try converter.convert()
        return SBMLModel(pathway: pathway, fluxBalance: converter.fluxBalance, hasKineticLaws: converter.hasKineticLaws,
                         renamedIds: converter.renamedIds)
    }
}
