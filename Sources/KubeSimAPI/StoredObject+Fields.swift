import KubeSimCore

extension StoredObject {
    /// Sets a kept field (JSON text) at a path, replacing what was there.
    public mutating func setField(_ path: [String], json: String) {
        let steps = path.map { PreservedField.Step.key($0) }
        metadata.preserved.removeAll { $0.path == steps }
        metadata.preserved.append(PreservedField(path: steps, json: json))
    }

    public func field(_ path: [String]) -> String? {
        let steps = path.map { PreservedField.Step.key($0) }
        return metadata.preserved.first { $0.path == steps }?.json
    }
}
