import Foundation

/// A dense real matrix stored column-major, the layout LAPACK expects: entry (i, j) is at
/// `elements[i + j * rows]`.
public struct Matrix: Sendable, Hashable, Codable {
    public let rows: Int
    public let columns: Int
    public var elements: [Double]

    /// A `rows × columns` matrix filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.columns = columns
        elements = Array(repeating: value, count: rows * columns)
    }

    /// A matrix from column-major storage.
    public init(rows: Int, columns: Int, columnMajor elements: [Double]) {
        precondition(elements.count == rows * columns, "expected \(rows * columns) elements, got \(elements.count)")
        self.rows = rows
        self.columns = columns
        self.elements = elements
    }

    /// A matrix from a list of rows (convenient in tests and small examples).
    public init(rowMajor rowList: [[Double]]) {
        let r = rowList.count
        let c = rowList.first?.count ?? 0
        precondition(rowList.allSatisfy { $0.count == c }, "rows of unequal length")
        var e = Array(repeating: 0.0, count: r * c)
        for i in 0..<r { for j in 0..<c { e[i + j * r] = rowList[i][j] } }
        self.init(rows: r, columns: c, columnMajor: e)
    }

    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    public subscript(row: Int, column: Int) -> Double {
        get { elements[row + column * rows] }
        set { elements[row + column * rows] = newValue }
    }

    public func column(_ j: Int) -> [Double] { Array(elements[(j * rows)..<((j + 1) * rows)]) }

    /// The matrix made of the listed columns, in that order.
    public func selectingColumns(_ indices: [Int]) -> Matrix {
        var e: [Double] = []
        e.reserveCapacity(rows * indices.count)
        for j in indices { e.append(contentsOf: elements[(j * rows)..<((j + 1) * rows)]) }
        return Matrix(rows: rows, columns: indices.count, columnMajor: e)
    }

    public var transposed: Matrix {
        var t = Matrix(rows: columns, columns: rows)
        for j in 0..<columns { for i in 0..<rows { t[j, i] = self[i, j] } }
        return t
    }

    /// `A x`.
    public func multiplied(by x: [Double]) -> [Double] {
        precondition(x.count == columns)
        var y = Array(repeating: 0.0, count: rows)
        for j in 0..<columns where x[j] != 0 {
            let xj = x[j]
            for i in 0..<rows { y[i] += self[i, j] * xj }
        }
        return y
    }

    /// `Aᵀ x`.
    public func transposeMultiplied(by x: [Double]) -> [Double] {
        precondition(x.count == rows)
        var y = Array(repeating: 0.0, count: columns)
        for j in 0..<columns {
            var s = 0.0
            for i in 0..<rows { s += self[i, j] * x[i] }
            y[j] = s
        }
        return y
    }

    /// `Aᵀ A` (the Gauss–Newton Hessian when A is a Jacobian).
    public var gram: Matrix {
        var g = Matrix(rows: columns, columns: columns)
        for a in 0..<columns {
            for b in a..<columns {
                var s = 0.0
                for i in 0..<rows { s += self[i, a] * self[i, b] }
                g[a, b] = s
                g[b, a] = s
            }
        }
        return g
    }
}

// The entries travel as one block of bytes (each Double's bit pattern, little-endian), not
// as one number per entry: a fit start's result carries its Jacobian between MPI ranks as a
// binary property list, and for Schwen's 286 × 30 Jacobian the per-entry form took 5.5 ms to
// encode and 11.6 ms to decode (swift-corelibs-foundation), paid once or twice per start.
// The bit patterns keep every value exactly, NaN and infinities included.
extension Matrix {
    private enum CodingKeys: String, CodingKey { case rows, columns, elements }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let rows = try container.decode(Int.self, forKey: .rows)
        let columns = try container.decode(Int.self, forKey: .columns)
        let bytes = try container.decode(Data.self, forKey: .elements)
        guard rows >= 0, columns >= 0, bytes.count == rows * columns * MemoryLayout<UInt64>.size else {
            throw DecodingError.dataCorruptedError(forKey: .elements, in: container,
                                                   debugDescription: "\(bytes.count) bytes for a \(rows) × \(columns) matrix")
        }
        let elements = bytes.withUnsafeBytes { raw in
            (0..<rows * columns).map { k in
                Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: k * 8, as: UInt64.self)))
            }
        }
        self.init(rows: rows, columns: columns, columnMajor: elements)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rows, forKey: .rows)
        try container.encode(columns, forKey: .columns)
        var bytes = Data(count: elements.count * MemoryLayout<UInt64>.size)
        bytes.withUnsafeMutableBytes { raw in
            for (k, x) in elements.enumerated() { raw.storeBytes(of: x.bitPattern.littleEndian, toByteOffset: k * 8, as: UInt64.self) }
        }
        try container.encode(bytes, forKey: .elements)
    }
}
