/// The variables of one function call (or of the top level): a flat array of slots
/// the parser assigned, plus the frame the function was defined in (its closure).
public final class Frame {
    var slots: [Value]
    let parent: Frame?

    init(size: Int, parent: Frame?) {
        slots = [Value](repeating: .nil, count: size)
        self.parent = parent
    }

    @inline(__always) func ancestor(_ hops: Int) -> Frame {
        var f = self
        for _ in 0..<hops { f = f.parent! }
        return f
    }

    func ensureSize(_ n: Int) {
        if slots.count < n { slots.append(contentsOf: repeatElement(.nil, count: n - slots.count)) }
    }
}

/// Top-level names, kept across REPL entries and included files: name → global slot.
public final class GlobalTable {
    public init() {}
    var slots: [String: Int] = [:]
    var constant: [String: Bool] = [:]
    var count = 0

    func declare(_ name: String, constant isConst: Bool) -> Int {
        constant[name] = isConst
        if let s = slots[name] { return s }
        let s = count
        count += 1
        slots[name] = s
        return s
    }

    /// A slot for a name that is not looked up by name (a block-scoped top-level local).
    func anonymousSlot() -> Int {
        count += 1
        return count - 1
    }

    public var names: [String] { Array(slots.keys).sorted() }
}

/// The body of a script function, shared by every closure made from it.
final class FunctionBody {
    let statements: [Stmt]
    let frameSize: Int
    let parameterSlots: [Int]
    init(statements: [Stmt], frameSize: Int, parameterSlots: [Int]) {
        self.statements = statements
        self.frameSize = frameSize
        self.parameterSlots = parameterSlots
    }
}
