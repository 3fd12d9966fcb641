import KubeScript
import KubeSimCore
import KubeSimNet
import KubeSimControl
import KubeSimNode
import KubeSimNet

extension NodeTool {
    static let ipsetVersion = "ipset v7.17: "

    /// `ipset create|add|del|test|list|flush|destroy` (ipset 7.17) on the node's sets.
    static let ipset = NodeTool(name: "ipset", subcommands: ["add", "create", "del", "destroy", "flush", "list", "test"]) { ctx, argv in
        let nf = try kernel(ctx).netfilter
        let args = Array(argv.dropFirst())
        guard let cmd = args.first else { throw CommandFailure(ipsetVersion + "No command specified: unknown argument -\nTry `ipset help' for more documentation.") }
        func set(_ k: Int) throws -> IPSet {
            guard k < args.count else { throw CommandFailure(ipsetVersion + "Missing mandatory argument: set name\nTry `ipset help' for more documentation.") }
            guard let s = nf.ipsets[args[k]] else { throw CommandFailure(ipsetVersion + "The set with the given name does not exist") }
            return s
        }
        func member(_ s: IPSet) throws -> IPSet.Member {
            guard args.count > 2 else { throw CommandFailure(ipsetVersion + "Missing mandatory argument: element\nTry `ipset help' for more documentation.") }
            guard let m = s.parseMember(args[2]) else { throw CommandFailure(ipsetVersion + "Syntax error: '\(args[2])' is invalid as number") }
            return m
        }
        switch cmd {
        case "create", "-N", "n":
            guard args.count >= 3 else { throw CommandFailure(ipsetVersion + "Missing mandatory argument: set type\nTry `ipset help' for more documentation.") }
            guard let kind = IPSet.Kind(rawValue: args[2]) else { throw CommandFailure(ipsetVersion + "Syntax error: typename '\(args[2])' is unknown") }
            guard nf.ipsets[args[1]] == nil else { throw CommandFailure(ipsetVersion + "Set cannot be created: set with the same name already exists") }
            guard args[1].utf8.count <= 31 else { throw CommandFailure(ipsetVersion + "Syntax error: setname '\(args[1])' is longer than 31 characters") }
            let s = IPSet(name: args[1], kind: kind)
            var k = 3
            while k + 1 < args.count {
                switch args[k] {
                case "hashsize": s.hashsize = Int(args[k + 1]) ?? s.hashsize
                case "maxelem": s.maxelem = Int(args[k + 1]) ?? s.maxelem
                case "family": guard args[k + 1] == "inet" else { throw CommandFailure(ipsetVersion + "Syntax error: Unknown family '\(args[k + 1])'") }
                case "range":
                    let r = args[k + 1].split(separator: "-")
                    guard r.count == 2, let lo = Int(r[0]), let hi = Int(r[1]), lo <= hi, hi <= 65535 else { throw CommandFailure(ipsetVersion + "Syntax error: '\(args[k + 1])' is invalid as number") }
                    s.range = PortRange(lo, hi)
                default: throw CommandFailure(ipsetVersion + "Syntax error: Unknown argument: '\(args[k])'")
                }
                k += 2
            }
            if kind == .bitmapPort, s.range == nil { throw CommandFailure(ipsetVersion + "Missing mandatory argument: range") }
            nf.ipsets[s.name] = s
            return CommandResult(output: "")
        case "add", "-A", "a":
            let s = try set(1)
            guard s.add(try member(s)) else { throw CommandFailure(ipsetVersion + "Element cannot be added to the set: it's already added") }
            return CommandResult(output: "")
        case "del", "-D", "d":
            let s = try set(1)
            guard s.remove(try member(s)) else { throw CommandFailure(ipsetVersion + "Element cannot be deleted from the set: it's not added") }
            return CommandResult(output: "")
        case "test", "-T", "t":
            let s = try set(1)
            let m = try member(s)
            guard s.contains(m) else { throw CommandFailure("\(args[2]) is NOT in set \(s.name).") }
            return CommandResult(output: "Warning: \(args[2]) is in set \(s.name).")
        case "list", "-L", "l":
            if args.count > 1 { return CommandResult(output: try set(1).listing()) }
            return CommandResult(output: nf.ipsets.keys.sorted().map { nf.ipsets[$0]!.listing() }.joined(separator: "\n"))
        case "flush", "-F", "f":
            if args.count > 1 { try set(1).flush() } else { nf.ipsets.values.forEach { $0.flush() } }
            return CommandResult(output: "")
        case "destroy", "-X", "x":
            let names = args.count > 1 ? [try set(1).name] : Array(nf.ipsets.keys)
            for n in names where nf.ipsets[n]!.references > 0 { throw CommandFailure(ipsetVersion + "Set cannot be destroyed: it is in use by a kernel component") }
            for n in names { nf.ipsets.removeValue(forKey: n) }
            return CommandResult(output: "")
        default:
            throw CommandFailure(ipsetVersion + "No command specified: unknown argument \(cmd)\nTry `ipset help' for more documentation.")
        }
    }
}
