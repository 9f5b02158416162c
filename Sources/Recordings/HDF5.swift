internal import CHDF5
import Foundation

/// The one door to HDF5's C library: open objects own their identifier and close it
/// when released; every failure is an `HDF5Error` naming the C function and the object.
package enum HDF5 {
    package struct Failure: Error, CustomStringConvertible {
        package let function: String
        package let object: String
        package var description: String { "\(function) failed on '\(object)'" }
    }

    /// Held around every call into the library, and by `IsolatedProbe`'s fork (see `ForkGate`).
    package static let gate = ForkGate()

    /// Runs one use of the library: under `gate`, with this thread's error printing off.
    /// HDF5 prints its error stack unless told not to, and its thread-safe build (Debian's)
    /// keeps one stack, and one such setting, per thread: silencing the first thread only left
    /// the others printing to stderr.
    static func exclusive<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        try gate.within { () throws(E) -> T in
            _ = noTerminationAtExit
            kinapse_h5_silence_errors()
            return try body()
        }
    }

    /// HDF5 closes itself from an `atexit` handler, and in the thread-safe build that handler
    /// sometimes fails to release the per-thread error stacks of threads that used the library,
    /// printing "HDF5: infinite loop closing library" as the process ends (seen at the end of
    /// test runs). Every file is closed when its `Object` is released, so nothing is left for
    /// the handler to flush; it is not registered. Must precede any other call into HDF5.
    private static let noTerminationAtExit: Void = { _ = H5dont_atexit() }()

    /// Whether an HDF5 error raised on this thread would be printed to stderr (tests).
    package static var printsErrorsOnThisThread: Bool { gate.within { kinapse_h5_prints_errors() != 0 } }

    package final class Object {
        let id: hid_t
        package let path: String
        private let close: (hid_t) -> herr_t

        init(id: hid_t, path: String, close: @escaping (hid_t) -> herr_t) {
            self.id = id; self.path = path; self.close = close
        }
        deinit { HDF5.exclusive { _ = close(id) } }
    }

    static func check(_ id: hid_t, _ function: String, _ object: String) throws(Failure) -> hid_t {
        guard id >= 0 else { throw Failure(function: function, object: object) }
        return id
    }

    static func check(_ status: herr_t, _ function: String, _ object: String) throws(Failure) {
        guard status >= 0 else { throw Failure(function: function, object: object) }
    }

    // MARK: - Files

    package static func open(path: String) throws(Failure) -> Object {
        return try exclusive { () throws(Failure) -> Object in
            let id = try check(H5Fopen(path, kinapse_h5f_acc_rdonly(), kinapse_h5_default()), "H5Fopen", path)
            return Object(id: id, path: "/", close: H5Fclose)
        }
    }

    package static func create(path: String) throws(Failure) -> Object {
        return try exclusive { () throws(Failure) -> Object in
            let id = try check(H5Fcreate(path, kinapse_h5f_acc_trunc(), kinapse_h5_default(), kinapse_h5_default()), "H5Fcreate", path)
            return Object(id: id, path: "/", close: H5Fclose)
        }
    }

    /// Opens an HDF5 file held in memory (the fuzz target's input) through the core driver.
    package static func open(image: [UInt8]) throws(Failure) -> Object {
        return try exclusive { () throws(Failure) -> Object in
            let fapl = try check(H5Pcreate(kinapse_h5p_file_access()), "H5Pcreate", "file image")
            defer { H5Pclose(fapl) }
            try check(H5Pset_fapl_core(fapl, 1 << 16, false), "H5Pset_fapl_core", "file image")
            // HDF5 copies the image into its own buffer.
            let status = image.withUnsafeBytes { H5Pset_file_image(fapl, UnsafeMutableRawPointer(mutating: $0.baseAddress), $0.count) }
            try check(status, "H5Pset_file_image", "file image")
            let id = try check(H5Fopen("kinapse-image.h5", kinapse_h5f_acc_rdonly(), fapl), "H5Fopen", "file image")
            return Object(id: id, path: "/", close: H5Fclose)
        }
    }

    // MARK: - Navigation

    package enum Kind { case group, dataset, other }

    package static func exists(_ parent: Object, _ name: String) -> Bool {
        return exclusive { () -> Bool in
            H5Lexists(parent.id, name, kinapse_h5_default()) > 0 && H5Oexists_by_name(parent.id, name, kinapse_h5_default()) > 0
        }
    }

    package static func kind(_ parent: Object, _ name: String) -> Kind {
        return exclusive { () -> Kind in
            guard exists(parent, name) else { return .other }
            let id = H5Oopen(parent.id, name, kinapse_h5_default())
            guard id >= 0 else { return .other }
            defer { H5Oclose(id) }
            switch H5Iget_type(id) {
            case H5I_GROUP: return .group
            case H5I_DATASET: return .dataset
            default: return .other
            }
        }
    }

    package static func group(_ parent: Object, _ name: String) throws(Failure) -> Object {
        return try exclusive { () throws(Failure) -> Object in
            let id = try check(H5Gopen2(parent.id, name, kinapse_h5_default()), "H5Gopen2", join(parent.path, name))
            return Object(id: id, path: join(parent.path, name), close: H5Gclose)
        }
    }

    package static func dataset(_ parent: Object, _ name: String) throws(Failure) -> Object {
        return try exclusive { () throws(Failure) -> Object in
            let id = try check(H5Dopen2(parent.id, name, kinapse_h5_default()), "H5Dopen2", join(parent.path, name))
            return Object(id: id, path: join(parent.path, name), close: H5Dclose)
        }
    }

    /// Names of a group's members, in name order.
    package static func members(_ group: Object) throws(Failure) -> [String] {
        return try exclusive { () throws(Failure) -> [String] in
            var info = H5G_info_t()
            try check(H5Gget_info(group.id, &info), "H5Gget_info", group.path)
            var names: [String] = []
            for i in 0..<info.nlinks {
                let length = H5Lget_name_by_idx(group.id, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, kinapse_h5_default())
                guard length >= 0, length < 4096 else { throw Failure(function: "H5Lget_name_by_idx", object: group.path) }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                guard H5Lget_name_by_idx(group.id, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, buffer.count, kinapse_h5_default()) >= 0 else {
                    throw Failure(function: "H5Lget_name_by_idx", object: group.path)
                }
                names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return names
        }
    }

    /// The path a soft link points to (NWB links a series to its electrode this way).
    package static func softLinkTarget(_ parent: Object, _ name: String) -> String? {
        return exclusive { () -> String? in
            var info = H5L_info_t()
            guard H5Lexists(parent.id, name, kinapse_h5_default()) > 0,
                  H5Lget_info(parent.id, name, &info, kinapse_h5_default()) >= 0, info.type == H5L_TYPE_SOFT else { return nil }
            let size = info.u.val_size
            guard size > 0, size < 4096 else { return nil }
            var buffer = [CChar](repeating: 0, count: size + 1)
            guard H5Lget_val(parent.id, name, &buffer, size, kinapse_h5_default()) >= 0 else { return nil }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    // MARK: - Attributes

    /// Opens a one-element attribute and hands it and its type to `body`; nil when absent.
    private static func withScalarAttribute<T>(_ object: Object, _ name: String, _ body: (hid_t, hid_t) -> T?) -> T? {
        guard H5Aexists(object.id, name) > 0 else { return nil }
        let attribute = H5Aopen(object.id, name, kinapse_h5_default())
        guard attribute >= 0 else { return nil }
        defer { H5Aclose(attribute) }
        let type = H5Aget_type(attribute)
        guard type >= 0 else { return nil }
        defer { H5Tclose(type) }
        let space = H5Aget_space(attribute)
        guard space >= 0 else { return nil }
        defer { H5Sclose(space) }
        guard H5Sget_simple_extent_npoints(space) == 1 else { return nil }
        return body(attribute, type)
    }

    /// A string attribute, fixed-length or variable-length; nil when absent or not a string.
    package static func stringAttribute(_ object: Object, _ name: String) -> String? {
        return exclusive { () -> String? in
            withScalarAttribute(object, name) { attribute, type -> String? in
                guard H5Tget_class(type) == H5T_STRING else { return nil }
                if H5Tis_variable_str(type) > 0 {
                    let memory = H5Tcopy(kinapse_h5t_c_s1())
                    defer { H5Tclose(memory) }
                    H5Tset_size(memory, kinapse_h5t_variable())
                    H5Tset_cset(memory, H5Tget_cset(type))
                    var pointer: UnsafeMutablePointer<CChar>? = nil
                    guard H5Aread(attribute, memory, &pointer) >= 0, let pointer else { return nil }
                    defer { H5free_memory(pointer) }
                    return String(cString: pointer)
                }
                let size = H5Tget_size(type)
                guard size > 0, size < 1 << 20 else { return nil }
                var buffer = [CChar](repeating: 0, count: size + 1)
                guard H5Aread(attribute, type, &buffer) >= 0 else { return nil }
                return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }

    /// A numeric scalar attribute as a Double; nil when absent or not a single number.
    package static func numberAttribute(_ object: Object, _ name: String) -> Double? {
        return exclusive { () -> Double? in
            withScalarAttribute(object, name) { attribute, type -> Double? in
                let typeClass = H5Tget_class(type)
                guard typeClass == H5T_FLOAT || typeClass == H5T_INTEGER else { return nil }
                var value = 0.0
                guard H5Aread(attribute, kinapse_h5t_native_double(), &value) >= 0 else { return nil }
                return value
            }
        }
    }

    // MARK: - Datasets

    /// Number of elements of a one-dimensional (or scalar) numeric dataset.
    package static func length(_ dataset: Object) throws(Failure) -> Int {
        return try exclusive { () throws(Failure) -> Int in
            let space = try check(H5Dget_space(dataset.id), "H5Dget_space", dataset.path)
            defer { H5Sclose(space) }
            let rank = H5Sget_simple_extent_ndims(space)
            guard rank >= 0, rank <= 2 else { throw Failure(function: "H5Sget_simple_extent_ndims", object: dataset.path) }
            let type = try check(H5Dget_type(dataset.id), "H5Dget_type", dataset.path)
            defer { H5Tclose(type) }
            let typeClass = H5Tget_class(type)
            guard typeClass == H5T_FLOAT || typeClass == H5T_INTEGER else { throw Failure(function: "H5Dget_type (not numeric)", object: dataset.path) }
            let points = H5Sget_simple_extent_npoints(space)
            guard points >= 0 else { throw Failure(function: "H5Sget_simple_extent_npoints", object: dataset.path) }
            if rank == 2 {
                var dims = [hsize_t](repeating: 0, count: 2)
                H5Sget_simple_extent_dims(space, &dims, nil)
                // NWB stores one channel per series; a second dimension of 1 is the same thing.
                guard dims[1] == 1 else { throw Failure(function: "H5Sget_simple_extent_dims (more than one column)", object: dataset.path) }
            }
            return Int(points)
        }
    }

    /// Elements `range` of a numeric dataset (all of a scalar), converted to Double by HDF5.
    package static func read(_ dataset: Object, range: Range<Int>? = nil) throws(Failure) -> [Double] {
        return try exclusive { () throws(Failure) -> [Double] in
            let count = try length(dataset)
            let r = range ?? 0..<count
            guard r.lowerBound >= 0, r.upperBound <= count else { throw Failure(function: "read (range outside the dataset)", object: dataset.path) }
            guard !r.isEmpty else { return [] }
            let file = try check(H5Dget_space(dataset.id), "H5Dget_space", dataset.path)
            defer { H5Sclose(file) }
            let rank = H5Sget_simple_extent_ndims(file)
            var memoryDims = [hsize_t(r.count)]
            let memory = try check(H5Screate_simple(1, &memoryDims, nil), "H5Screate_simple", dataset.path)
            defer { H5Sclose(memory) }
            if rank > 0 {
                var start = [hsize_t(r.lowerBound), 0], size = [hsize_t(r.count), 1]
                try check(H5Sselect_hyperslab(file, H5S_SELECT_SET, &start, nil, &size, nil), "H5Sselect_hyperslab", dataset.path)
            }
            // Uninitialised: HDF5 writes every element, and zeroing hundreds of megabytes first
            // was a tenth of the time of reading a long recording.
            var status: herr_t = -1
            let out = [Double](unsafeUninitializedCapacity: r.count) { buffer, initialized in
                status = H5Dread(dataset.id, kinapse_h5t_native_double(), rank > 0 ? memory : kinapse_h5_all(), rank > 0 ? file : kinapse_h5_all(),
                                 kinapse_h5_default(), buffer.baseAddress)
                initialized = status >= 0 ? r.count : 0
            }
            try check(status, "H5Dread", dataset.path)
            return out
        }
    }

    // MARK: - Writing (the project's own NWB test recordings)

    package static func createGroup(_ parent: Object, _ name: String) throws(Failure) -> Object {
        return try exclusive { () throws(Failure) -> Object in
            let id = try check(H5Gcreate2(parent.id, name, kinapse_h5_default(), kinapse_h5_default(), kinapse_h5_default()), "H5Gcreate2", join(parent.path, name))
            return Object(id: id, path: join(parent.path, name), close: H5Gclose)
        }
    }

    package enum Storage { case int16, uint32, float32, float64 }

    static func fileType(_ storage: Storage) -> hid_t {
        switch storage {
        case .int16: kinapse_h5t_std_i16le()
        case .uint32: kinapse_h5t_std_u32le()
        case .float32: kinapse_h5t_ieee_f32le()
        case .float64: kinapse_h5t_ieee_f64le()
        }
    }

    /// A one-dimensional dataset (or a scalar when `scalar`), written from Doubles.
    @discardableResult
    package static func writeDataset(_ parent: Object, _ name: String, _ values: [Double], as storage: Storage = .float64,
                                     scalar: Bool = false) throws(Failure) -> Object {
        return try exclusive { () throws(Failure) -> Object in
            var dims = [hsize_t(values.count)]
            let space = try check(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, nil), "H5Screate", name)
            defer { H5Sclose(space) }
            let id = try check(H5Dcreate2(parent.id, name, fileType(storage), space, kinapse_h5_default(), kinapse_h5_default(), kinapse_h5_default()),
                               "H5Dcreate2", join(parent.path, name))
            let dataset = Object(id: id, path: join(parent.path, name), close: H5Dclose)
            let rounded = storage == .int16 || storage == .uint32 ? values.map { $0.rounded() } : values
            let status = rounded.withUnsafeBytes { H5Dwrite(id, kinapse_h5t_native_double(), kinapse_h5_all(), kinapse_h5_all(), kinapse_h5_default(), $0.baseAddress) }
            try check(status, "H5Dwrite", dataset.path)
            return dataset
        }
    }

    /// A variable-length UTF-8 string dataset (NWB's text fields): a scalar, or with
    /// `asList` a list of one (fields the schema declares as lists, such as file_create_date).
    package static func writeStringDataset(_ parent: Object, _ name: String, _ value: String, asList: Bool = false) throws(Failure) {
        try exclusive { () throws(Failure) -> Void in
            try writeVariableString(value, at: join(parent.path, name), asList: asList) { type, space in
                H5Dcreate2(parent.id, name, type, space, kinapse_h5_default(), kinapse_h5_default(), kinapse_h5_default())
            } write: { id, type, p in H5Dwrite(id, type, kinapse_h5_all(), kinapse_h5_all(), kinapse_h5_default(), p) } close: { H5Dclose($0) }
        }
    }

    package static func writeString(_ object: Object, _ name: String, _ value: String) throws(Failure) {
        try exclusive { () throws(Failure) -> Void in
            try writeVariableString(value, at: "\(object.path)@\(name)") { type, space in
                H5Acreate2(object.id, name, type, space, kinapse_h5_default(), kinapse_h5_default())
            } write: { id, type, p in H5Awrite(id, type, p) } close: { H5Aclose($0) }
        }
    }

    /// One scalar variable-length UTF-8 string, in an attribute or a dataset that `create` makes.
    private static func writeVariableString(_ value: String, at place: String, asList: Bool = false, create: (hid_t, hid_t) -> hid_t,
                                            write: (hid_t, hid_t, UnsafeRawPointer) -> herr_t, close: (hid_t) -> herr_t) throws(Failure) {
        let type = try check(H5Tcopy(kinapse_h5t_c_s1()), "H5Tcopy", place)
        defer { H5Tclose(type) }
        H5Tset_size(type, kinapse_h5t_variable())
        H5Tset_cset(type, H5T_CSET_UTF8)
        var one: [hsize_t] = [1]
        let space = try check(asList ? H5Screate_simple(1, &one, nil) : H5Screate(H5S_SCALAR), "H5Screate", place)
        defer { H5Sclose(space) }
        let id = try check(create(type, space), "H5Acreate2/H5Dcreate2", place)
        defer { _ = close(id) }
        let status = value.withCString { pointer in
            var p: UnsafePointer<CChar>? = pointer
            return withUnsafePointer(to: &p) { write(id, type, UnsafeRawPointer($0)) }
        }
        try check(status, "H5Awrite/H5Dwrite", place)
    }

    package static func writeNumber(_ object: Object, _ name: String, _ value: Double, as storage: Storage = .float64) throws(Failure) {
        try exclusive { () throws(Failure) -> Void in
            let space = try check(H5Screate(H5S_SCALAR), "H5Screate", object.path)
            defer { H5Sclose(space) }
            let attribute = try check(H5Acreate2(object.id, name, fileType(storage), space, kinapse_h5_default(), kinapse_h5_default()), "H5Acreate2", "\(object.path)@\(name)")
            defer { H5Aclose(attribute) }
            var v = value
            try check(H5Awrite(attribute, kinapse_h5t_native_double(), &v), "H5Awrite", "\(object.path)@\(name)")
        }
    }

    package static func softLink(_ parent: Object, _ name: String, to target: String) throws(Failure) {
        try exclusive { () throws(Failure) -> Void in
            try check(H5Lcreate_soft(target, parent.id, name, kinapse_h5_default(), kinapse_h5_default()), "H5Lcreate_soft", join(parent.path, name))
        }
    }

    static func join(_ parent: String, _ name: String) -> String { parent == "/" ? "/" + name : parent + "/" + name }
}
