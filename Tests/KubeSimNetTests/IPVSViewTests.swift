import Testing
@testable import KubeSimNet
import KubeSimCore

// `ipvsadm` v1.31 on the IPVS table: the listings exactly as ipvsadm.c prints them
// (print_title, print_service_entry, print_largenum, print_conn: the printf formats worked
// by hand), and its messages and exit codes for bad input (ipvsadm.c fail() exits 2; popt
// errors and the kernel's answers, worded by libipvs.c ipvs_strerror, exit 255).

func lines(_ r: Ipvsadm.Outcome) -> [String] { r.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

@Suite("IPVS views and ipvsadm")
struct IPVSViewTests {
    static let two = ["-A -t 10.96.0.10:80 -s rr", "-a -t 10.96.0.10:80 -r 10.244.1.5:80 -m", "-a -t 10.96.0.10:80 -r 10.244.2.6:8080 -m -w 3"]

    @Test("-Ln: the version line, the title, each service and its real servers")
    func listNumeric() {
        let ipvs = IPVS()
        setup(ipvs, Self.two)
        #expect(lines(adm(ipvs, "-Ln")) == [
            "IP Virtual Server version 1.2.1 (size=4096)",
            "Prot LocalAddress:Port Scheduler Flags",
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
            "TCP  10.96.0.10:80 rr",
            "  -> 10.244.1.5:80                Masq    1      0          0         ",
            "  -> 10.244.2.6:8080              Masq    3      0          0         ",
        ])
        // One service (no version line); `-L -n` and `--list --numeric` are the same.
        #expect(lines(adm(ipvs, "-Ln -t 10.96.0.10:80")) == Array(lines(adm(ipvs, "-Ln")).dropFirst()))
        #expect(adm(ipvs, "--list --numeric") == adm(ipvs, "-L -n"))
    }

    @Test("without -n ports are named from /etc/services; -S writes the table as commands")
    func namesAndSave() {
        let ipvs = IPVS()
        setup(ipvs, Self.two)
        #expect(lines(adm(ipvs, "-L")).suffix(3) == [
            "TCP  10.96.0.10:http rr",
            "  -> 10.244.1.5:http              Masq    1      0          0         ",
            "  -> 10.244.2.6:http-alt          Masq    3      0          0         ",
        ])
        #expect(adm(ipvs, "") == adm(ipvs, "-L"), "no argument lists the table")
        #expect(lines(adm(ipvs, "-S -n")) == [
            "-A -t 10.96.0.10:80 -s rr",
            "-a -t 10.96.0.10:80 -r 10.244.1.5:80 -m -w 1",
            "-a -t 10.96.0.10:80 -r 10.244.2.6:8080 -m -w 3",
        ])
        #expect(lines(adm(ipvs, "-S")).first == "-A -t 10.96.0.10:http -s rr")
    }

    @Test("services sort by protocol, address (a wrapping C int difference) and port; --nosort keeps the kernel's order")
    func sorting() {
        let ipvs = IPVS()
        setup(ipvs, ["-A -u 10.96.0.10:53 -s rr", "-A -t 10.96.0.20:80 -s rr", "-A -t 10.96.0.10:443 -s rr -p 60 -M 255.255.255.0",
                     "-A -t 10.96.0.10:80 -s wrr", "-A -t 192.168.0.1:80 -s sh -b sh-fallback,sh-port"])
        #expect(lines(adm(ipvs, "-Ln")).dropFirst(3) == [
            "TCP  192.168.0.1:80 sh (sh-fallback,sh-port)",
            "TCP  10.96.0.10:80 wrr",
            "TCP  10.96.0.10:443 rr persistent 60 mask 255.255.255.0",
            "TCP  10.96.0.20:80 rr",
            "UDP  10.96.0.10:53 rr",
        ])
        #expect(lines(adm(ipvs, "-Ln --nosort")).dropFirst(3).first == "UDP  10.96.0.10:53 rr")
        #expect(lines(adm(ipvs, "-Sn")).filter { $0.contains("443") || $0.contains("192.168") } == [
            "-A -t 192.168.0.1:80 -s sh -b sh-fallback,sh-port",
            "-A -t 10.96.0.10:443 -s rr -p 60 -M 255.255.255.0",
        ])
    }

    /// A connection to 10.244.2.6:8080 (rr's first pick): SYN, SYN-ACK, ACK, a request and
    /// its answer at 0.5 s.
    func traffic(_ ipvs: IPVS, request: Int = 200) {
        let t = sec / 2
        _ = ipvs.inbound(tcp("10.244.0.2", "10.96.0.10", length: 60), now: t)
        _ = ipvs.outbound(tcp("10.244.2.6", "10.244.0.2", sport: 8080, dport: 40000, flags: "SYN-ACK", length: 60), now: t)
        _ = ipvs.inbound(tcp("10.244.0.2", "10.96.0.10", flags: "ACK", length: 52), now: t)
        _ = ipvs.inbound(tcp("10.244.0.2", "10.96.0.10", flags: "PSH-ACK", length: request), now: t)
        _ = ipvs.outbound(tcp("10.244.2.6", "10.244.0.2", sport: 8080, dport: 40000, flags: "PSH-ACK", length: 500), now: t)
    }

    @Test("--stats: connections, packets and bytes each way")
    func stats() {
        let ipvs = IPVS()
        setup(ipvs, Self.two)
        traffic(ipvs)
        #expect(lines(adm(ipvs, "-Ln --stats", now: sec)) == [
            "IP Virtual Server version 1.2.1 (size=4096)",
            "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes",
            "  -> RemoteAddress:Port",
            "TCP  10.96.0.10:80                       1        3        2      312      560",
            "  -> 10.244.1.5:80                       0        0        0        0        0",
            "  -> 10.244.2.6:8080                     1        3        2      312      560",
        ])
        #expect(lines(adm(ipvs, "-Z")) == [""])
        #expect(lines(adm(ipvs, "-Ln --stats", now: sec))[3] == "TCP  10.96.0.10:80                       0        0        0        0        0")
    }

    @Test("--rate: the 2-second estimator (ip_vs_est.c), read with its rounding")
    func rate() {
        let ipvs = IPVS()
        setup(ipvs, Self.two)
        traffic(ipvs)
        // Before the first tick (at 2 s) nothing is measured.
        #expect(lines(adm(ipvs, "-Ln --rate", now: sec))[3] == "TCP  10.96.0.10:80                       0        0        0        0        0")
        // At the 2 s tick: inbps += (312 << 4 - 0) >> 2 = 1248, read (1248 + 15) >> 5 = 39;
        // outbps 2240 → 70; cps 128 and pps 384, 256 read as 0.
        #expect(lines(adm(ipvs, "-Ln --rate", now: 2 * sec + sec / 2)) == [
            "IP Virtual Server version 1.2.1 (size=4096)",
            "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS",
            "  -> RemoteAddress:Port",
            "TCP  10.96.0.10:80                       0        0        0       39       70",
            "  -> 10.244.1.5:80                       0        0        0        0        0",
            "  -> 10.244.2.6:8080                     0        0        0       39       70",
        ])
        // At 4 s, with nothing new, the rates fall by a quarter: 936 → 29, 1680 → 52.
        #expect(lines(adm(ipvs, "-Ln --rate", now: 4 * sec))[3] == "TCP  10.96.0.10:80                       0        0        0       29       52")
    }

    @Test("print_largenum: K past 8 digits, every digit with --exact")
    func largeNumbers() {
        let ipvs = IPVS()
        setup(ipvs, Self.two)
        _ = ipvs.inbound(tcp("10.244.0.2", "10.96.0.10", length: 60), now: 0)
        _ = ipvs.inbound(tcp("10.244.0.2", "10.96.0.10", flags: "ACK", length: 123_456_729), now: 0)
        #expect(lines(adm(ipvs, "-Ln --stats"))[3] == "TCP  10.96.0.10:80                       1        2        0  123456K        0")
        #expect(lines(adm(ipvs, "-Ln --stats --exact"))[3] == "TCP  10.96.0.10:80                       1        2        0 123456789        0")
    }

    @Test("-Lnc: the connection list; --set and --timeout")
    func connectionsAndTimeouts() {
        let ipvs = IPVS()
        setup(ipvs, Self.two + ["--set 3600 0 60"])
        #expect(adm(ipvs, "-L --timeout").output == "Timeout (tcp tcpfin udp): 3600 120 60")
        traffic(ipvs)
        #expect(lines(adm(ipvs, "-Lnc", now: sec)) == [
            "IPVS connection entries",
            "pro expire state       source             virtual            destination",
            "TCP 59:59  ESTABLISHED 10.244.0.2:40000   10.96.0.10:80      10.244.2.6:8080",
        ])
        #expect(lines(adm(ipvs, "-Lc", now: sec)).last == "TCP 59:59  ESTABLISHED 10.244.0.2:40000   10.96.0.10:http    10.244.2.6:http-alt")
    }

    @Test("-e without -m means direct routing, whose port is the service's; -E without -s means wlc")
    func editDefaults() {
        let ipvs = IPVS()
        setup(ipvs, Self.two + ["-e -t 10.96.0.10:80 -r 10.244.1.5:80 -w 2", "-E -t 10.96.0.10:80 -p 600"])
        #expect(lines(adm(ipvs, "-Ln")).suffix(3) == [
            "TCP  10.96.0.10:80 wlc persistent 600",
            "  -> 10.244.1.5:80                Route   2      0          0         ",
            "  -> 10.244.2.6:8080              Masq    3      0          0         ",
        ])
        // The 8080 server cannot be edited without -m: direct routing looks for port 80.
        #expect(adm(ipvs, "-e -t 10.96.0.10:80 -r 10.244.2.6:8080 -w 1") == Ipvsadm.Outcome(status: 255, output: "No such destination"))
        setup(ipvs, ["-e -t 10.96.0.10:80 -r 10.244.2.6:8080 -m -w 1"])
    }

    @Test("ipvsadm's messages and exit codes for bad input")
    func errors() {
        let ipvs = IPVS()
        setup(ipvs, Self.two)
        let cases: [(String, Int, String)] = [
            ("-A -t 10.96.0.10:80 -s rr", 255, "Service already exists"),
            ("-E -t 10.96.0.11:80 -s rr", 255, "No such service"),
            ("-D -t 10.96.0.11:80", 255, "No such service"),
            ("-Z -t 10.96.0.11:80", 255, "No such service"),
            ("-Ln -t 10.96.0.11:80", 1, "No such service"),
            ("-A -t 10.96.0.12:80 -s foo", 255, "Scheduler or persistence engine not found"),
            ("-a -t 10.96.0.11:80 -r 10.244.1.5 -m", 255, "Service not defined"),
            ("-a -t 10.96.0.10:80 -r 10.244.1.5 -m", 255, "Destination already exists"),
            ("-d -t 10.96.0.10:80 -r 10.244.9.9", 255, "No such destination"),
            ("-d -t 10.96.0.11:80 -r 10.244.9.9", 255, "Service not defined"),
            ("-a -t 10.96.0.10:80 -r 224.0.0.1:80 -m", 255, "Invalid operation.  Possibly wrong module version, address not unicast, ..."),
            ("-a -t 10.96.0.10:80 -r 10.244.1.7:80 -m -y 5", 255, "Numerical result out of range"),
            ("-a -t 10.96.0.10:80 -r 10.244.1.6:80 -m -w 70000", 2, "illegal weight specified"),
            ("-a -t 10.96.0.10:80 -r 10.244.1.6:80 -m -w two", 2, "illegal weight specified"),
            ("-A -t 10.96.0.13 -s rr", 2, "Zero port specified for non-persistent service"),
            ("-A -t 10.96.0.13:80 -o", 2, "One-Packet Scheduling is only for UDP virtual services"),
            ("-A -t 80 -s rr", 2, "illegal virtual server address[:port] specified"),
            ("-A -t 10.96.0.300:80", 2, "illegal virtual server address[:port] specified"),
            ("-a -t 10.96.0.10:80 -r 10.244.1.6:http80", 2, "illegal real server address[:port] specified"),
            ("-A -t 10.96.0.13:80 -p 0", 2, "invalid timeout value `0' specified"),
            ("-A -t 10.96.0.13:80 -s rr -b sh-port", 2, "incompatible scheduler flag `sh-port'"),
            ("-A -t 10.96.0.13:80 -s sh -b fast", 2, "invalid scheduler flag `fast'"),
            ("-A -s rr", 2, "You need to supply the 'service-address' option for the 'add-service' command"),
            ("-a -t 10.96.0.10:80 -m", 2, "You need to supply the 'real-server' option for the 'add-server' command"),
            ("-A -t 10.96.0.13:80 -r 10.244.1.5", 2, "Illegal 'real-server' option with the 'add-service' command"),
            ("-L -c -t 10.96.0.10:80", 2, "The option 'service-address' conflicts with the 'connection' option in the 'list' command"),
            ("-L -c --stats", 2, "options conflicts in the list command"),
            ("-A -t 10.96.0.13:80 -t 10.96.0.14:80", 2, "multiple 'service-address' options specified"),
            ("-A -t 10.96.0.13:80 foo", 2, "unexpected argument foo"),
            ("-L -A", 2, "invalid option `-A'"),
            ("--set 900 120", 2, "--set option requires 3 timeout values"),
            ("-t 10.96.0.10:80", 255, "Try `ipvsadm -h' or 'ipvsadm --help' for more information."),
            ("-nL", 255, "Try `ipvsadm -h' or 'ipvsadm --help' for more information."),
            ("-L --foo", 255, "--foo: unknown option"),
            ("-Lq", 255, "-Lq: unknown option"),
            ("-A -t", 255, "-t: missing argument"),
        ]
        for (line, status, message) in cases {
            #expect(adm(ipvs, line) == Ipvsadm.Outcome(status: status, output: message), "ipvsadm \(line)")
        }
        // None of them changed the table.
        #expect(lines(adm(ipvs, "-Sn")).count == 3)
        #expect(adm(ipvs, "-v").output == "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)")
        #expect(adm(ipvs, "-h").output.hasPrefix("ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\nUsage:\n"))
    }

    @Test("-D, -d and -C leave the table as the kernel does")
    func deletions() {
        let ipvs = IPVS()
        setup(ipvs, Self.two + ["-A -u 10.96.0.10:53 -s rr", "-d -t 10.96.0.10:80 -r 10.244.1.5:80"])
        #expect(lines(adm(ipvs, "-Sn")) == ["-A -t 10.96.0.10:80 -s rr", "-a -t 10.96.0.10:80 -r 10.244.2.6:8080 -m -w 3", "-A -u 10.96.0.10:53 -s rr"])
        setup(ipvs, ["-D -t 10.96.0.10:80"])
        #expect(lines(adm(ipvs, "-Sn")) == ["-A -u 10.96.0.10:53 -s rr"])
        setup(ipvs, ["-C"])
        #expect(lines(adm(ipvs, "-Ln")) == ["IP Virtual Server version 1.2.1 (size=4096)", "Prot LocalAddress:Port Scheduler Flags",
                                            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn"])
        #expect(adm(ipvs, "-Sn").output == "")
    }
}
