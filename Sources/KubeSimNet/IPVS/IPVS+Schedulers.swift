import KubeSimCore

// The schedulers: each picks a real server for a new connection from the service's list
// (kernel order, newest first), skipping overloaded servers and quiesced ones (weight 0).
// Each follows its net/netfilter/ipvs/ip_vs_<name>.c.

/// svc->sched_data: rr's position, wrr's mark, sh's and dh's 256-bucket tables.
struct SchedulerState {
    /// ip_vs_rr.c: the last server chosen (nil: the list head).
    var rrLast: IPVSRealServer?
    /// ip_vs_wrr.c struct ip_vs_wrr_mark: current server (nil: head), current weight,
    /// maximum weight and the step between weights.
    var wrrCurrent: IPVSRealServer?
    var cw = 0, mw = 0, di = 1
    /// ip_vs_sh.c / ip_vs_dh.c: IP_VS_SH_TAB_SIZE / IP_VS_DH_TAB_SIZE buckets.
    var buckets: [IPVSRealServer?] = []
}

extension IPVSService {
    static let tableBits = 8
    static let tableSize = 1 << tableBits

    // MARK: - scheduler hooks (init_service, add_dest, upd_dest, del_dest)

    func initScheduler() {
        sched = SchedulerState()
        switch scheduler {
        case .wrr:
            // ip_vs_wrr_init_svc
            sched.di = wrrGCD()
            sched.mw = wrrMax() - (sched.di - 1)
            sched.cw = sched.mw
        case .sh, .dh: reassign()
        default: break
        }
    }

    func destinationAdded(_ d: IPVSRealServer) {
        switch scheduler {
        case .wrr: wrrChanged()
        case .sh, .dh: reassign()
        default: break
        }
    }

    func destinationUpdated(_ d: IPVSRealServer) {
        switch scheduler {
        case .wrr: wrrChanged()
        case .sh: reassign()   // dh has no upd_dest: weights do not shape its table
        default: break
        }
    }

    /// Before the server at `index` leaves the list: rr steps back to the one before it
    /// (ip_vs_rr_del_dest).
    func destinationRemoving(at index: Int) {
        if scheduler == .rr, sched.rrLast === destinations[index] {
            sched.rrLast = index > 0 ? destinations[index - 1] : nil
        }
    }

    func destinationRemoved(_ d: IPVSRealServer) {
        switch scheduler {
        case .wrr: wrrChanged()
        case .sh, .dh: reassign()
        default: break
        }
    }

    // MARK: - scheduling

    /// The real server for a new connection of this packet, or nil ("no destination available").
    func pick(_ p: NFPacket) -> IPVSRealServer? {
        switch scheduler {
        case .rr: return roundRobin()
        case .wrr: return weightedRoundRobin()
        case .lc: return leastConnection()
        case .wlc: return weightedLeast { $0.overhead }
        case .sed: return weightedLeast { $0.activeConns + 1 }
        case .nq: return neverQueue()
        case .sh: return sourceHash(p)
        case .dh: return destinationHash(p.dst)
        }
    }

    private func usable(_ d: IPVSRealServer) -> Bool { !d.overloaded && d.weight > 0 }

    /// ip_vs_rr.c ip_vs_rr_schedule: the next usable server after the last one, round the list.
    private func roundRobin() -> IPVSRealServer? {
        let n = destinations.count
        // From the head (-1) one pass over the list; from a server, round to it inclusive.
        let start = sched.rrLast.flatMap { l in destinations.firstIndex { $0 === l } } ?? -1
        for k in 0..<n {
            let d = destinations[(start + 1 + k) % n]
            if usable(d) { sched.rrLast = d; return d }
        }
        return nil
    }

    /// ip_vs_wrr.c ip_vs_wrr_schedule: passes over the list with a falling current weight
    /// cw (mw, mw-di, …, down to 1); a server is chosen when its weight is at least cw.
    private func weightedRoundRobin() -> IPVSRealServer? {
        let n = destinations.count
        var dest = sched.wrrCurrent.flatMap { c in destinations.firstIndex { $0 === c } } ?? -1   // -1: the head
        if sched.mw == 0 { sched.wrrCurrent = dest >= 0 ? destinations[dest] : nil; return nil }
        let last = dest
        var stop: Int?
        var lastPass = false, restarted = false
        while true {
            var i = dest + 1
            while i < n {
                let d = destinations[i]
                if !d.overloaded && d.weight >= sched.cw { sched.wrrCurrent = d; return d }
                if i == stop { sched.wrrCurrent = d; return nil }
                i += 1
            }
            dest = -1
            sched.cw -= sched.di
            if sched.cw <= 0 {
                sched.cw = sched.mw
                if lastPass || last == -1 { sched.wrrCurrent = nil; return nil }
                restarted = true
            }
            lastPass = sched.cw <= sched.di
            if lastPass && restarted && last != -1 { stop = last }
        }
    }

    /// ip_vs_wrr_dest_changed: back to the head, step and maximum recomputed, the current
    /// weight kept on the new grid.
    private func wrrChanged() {
        sched.wrrCurrent = nil
        sched.di = wrrGCD()
        sched.mw = wrrMax() - (sched.di - 1)
        if sched.cw > sched.mw || sched.cw == 0 {
            sched.cw = sched.mw
        } else if sched.di > 1 {
            sched.cw = (sched.cw / sched.di) * sched.di + 1
        }
    }

    private func wrrGCD() -> Int {
        var g = 0
        for d in destinations where d.weight > 0 {
            if g > 0 { var a = d.weight, b = g; while b != 0 { (a, b) = (b, a % b) }; g = a } else { g = d.weight }
        }
        return g > 0 ? g : 1
    }

    private func wrrMax() -> Int { destinations.reduce(0) { max($0, $1.weight) } }

    /// ip_vs_lc.c: the least (activeconns << 8) + inactconns; the first such in list order.
    private func leastConnection() -> IPVSRealServer? {
        var least: IPVSRealServer?
        for d in destinations where !d.overloaded && d.weight != 0 {
            if least == nil || d.overhead < least!.overhead { least = d }
        }
        return least
    }

    /// ip_vs_wlc.c and ip_vs_sed.c: the least overhead / weight, compared as
    /// loh * dweight > doh * lweight, starting from the first usable server.
    private func weightedLeast(_ overhead: (IPVSRealServer) -> Int) -> IPVSRealServer? {
        guard let first = destinations.firstIndex(where: usable) else { return nil }
        var least = destinations[first]
        var loh = overhead(least)
        for d in destinations[(first + 1)...] where !d.overloaded {
            let doh = overhead(d)
            if loh * d.weight > doh * least.weight { least = d; loh = doh }
        }
        return least
    }

    /// ip_vs_nq.c: an idle server (no active connections) at once, else as sed.
    private func neverQueue() -> IPVSRealServer? {
        var least: IPVSRealServer?
        var loh = 0
        for d in destinations where !d.overloaded && d.weight != 0 {
            let doh = d.activeConns + 1
            if d.activeConns == 0 { return d }
            if least == nil || loh * d.weight > doh * least!.weight { least = d; loh = doh }
        }
        return least
    }

    /// ip_vs_sh_reassign / ip_vs_dh_reassign: the buckets are dealt round the list; sh gives
    /// each server as many consecutive buckets as its weight.
    func reassign() {
        var b = [IPVSRealServer?](repeating: nil, count: Self.tableSize)
        let n = destinations.count
        if n > 0 {
            var i = 0, count = 0
            for k in 0..<Self.tableSize {
                let d = destinations[i]
                b[k] = d
                count += 1
                if scheduler == .dh || count >= d.weight { i = (i + 1) % n; count = 0 }
            }
        }
        sched.buckets = b
    }

    /// ip_vs_sh.c ip_vs_sh_hashkey: (offset + hash_32(port + addr, 8)) & 255, hash_32 being
    /// the golden-ratio multiply of include/linux/hash.h.
    static func shHash(_ addr: IPv4Address, _ port: Int, offset: Int = 0) -> Int {
        let h = (UInt32(truncatingIfNeeded: port) &+ addr.value) &* 0x61C8_8647
        return (offset + Int(h >> UInt32(32 - tableBits))) & (tableSize - 1)
    }

    /// ip_vs_dh.c ip_vs_dh_hashkey: (addr * 2654435761) & 255.
    static func dhHash(_ addr: IPv4Address) -> Int {
        Int((UInt64(addr.value) &* 2_654_435_761) & UInt64(tableSize - 1))
    }

    /// ip_vs_sh.c ip_vs_sh_schedule: the client address's bucket (with sh-port, its port
    /// too); with sh-fallback an unusable server passes the connection round the table.
    private func sourceHash(_ p: NFPacket) -> IPVSRealServer? {
        let port = flags.contains(.shPort) && p.hasPorts ? p.sport : 0
        let ihash = Self.shHash(p.src, port)
        guard let d = sched.buckets[ihash] else { return nil }
        if usable(d) { return d }
        guard flags.contains(.shFallback) else { return nil }
        for offset in 0..<Self.tableSize {
            let roffset = (offset + ihash) % Self.tableSize
            guard let e = sched.buckets[Self.shHash(p.src, port, offset: roffset)] else { break }
            if usable(e) { return e }
        }
        return nil
    }

    /// ip_vs_dh.c ip_vs_dh_schedule: the destination address's bucket.
    private func destinationHash(_ addr: IPv4Address) -> IPVSRealServer? {
        guard let d = sched.buckets[Self.dhHash(addr)], d.available, usable(d) else { return nil }
        return d
    }
}
