import Testing
@testable import KubeSimNet
import KubeSimCore

// iptables-nft 1.8.9's messages and exit codes (libxtables basic_exit_err for parameter
// problems, exit 2; xtables_main's "iptables: %s." with nft_strerror, exit 1; the kernel
// refusing a commit, exit 4; a missing table, exit 3) — and a refused command changes nothing.

let tryHelp = "Try `iptables -h' or 'iptables --help' for more information."

/// Everything `iptables-save` would print, to compare before and after a refused command.
func snapshot(_ nf: Netfilter) -> String {
    NFTableName.allCases.map { IptablesView.rules(nf.table($0), chain: nil, number: nil, counters: true) }.joined(separator: "\n#\n")
}

@Suite("iptables errors")
struct ErrorTests {
    /// A namespace with a little of everything, and its text before the command.
    func node() -> (Netfilter, String) {
        let nf = Netfilter()
        program(nf, ["-N KUBE-FORWARD", "-A FORWARD -j KUBE-FORWARD", "-A KUBE-FORWARD -p tcp --dport 22 -j ACCEPT",
                     "-N EMPTY", "-N BUSY", "-A BUSY -j ACCEPT", "-t nat -A PREROUTING -d 10.96.0.10 -j ACCEPT"])
        return (nf, snapshot(nf))
    }

    @Test("refused commands: message, exit status, and nothing changed", arguments: [
        ("-A INPUT -p tcp --dprt 80 -j ACCEPT", 2,
         "iptables v1.8.9 (nf_tables): unknown option \"--dprt\"\n" + tryHelp),
        ("-A INPUT --dport 80 -j ACCEPT", 2,
         "iptables v1.8.9 (nf_tables): unknown option \"--dport\"\n" + tryHelp),
        ("-A NOPE -j ACCEPT", 1, "iptables: No chain/target/match by that name."),
        ("-I NOPE -j ACCEPT", 1, "iptables: No chain/target/match by that name."),
        ("-F NOPE", 1, "iptables: No chain/target/match by that name."),
        ("-L NOPE", 1, "iptables: No chain/target/match by that name."),
        ("-X NOPE", 1, "iptables: No chain/target/match by that name."),
        ("-A INPUT -j NOPE", 2, "iptables v1.8.9 (nf_tables): Chain 'NOPE' does not exist\n" + tryHelp),
        ("-A INPUT -m nosuch -j ACCEPT", 2,
         "iptables v1.8.9 (nf_tables): Couldn't load match `nosuch':No such file or directory\n\n" + tryHelp),
        ("-D INPUT -s 1.2.3.4 -j DROP", 1, "iptables: Bad rule (does a matching rule exist in that chain?)."),
        ("-D KUBE-FORWARD -p tcp --dport 23 -j ACCEPT", 1, "iptables: Bad rule (does a matching rule exist in that chain?)."),
        ("-C KUBE-FORWARD -p tcp --dport 22 -j DROP", 1, "iptables: Bad rule (does a matching rule exist in that chain?)."),
        ("-N KUBE-FORWARD", 1, "iptables: Chain already exists."),
        ("-X KUBE-FORWARD", 4, "iptables v1.8.9 (nf_tables):  CHAIN_USER_DEL failed (Device or resource busy): chain KUBE-FORWARD"),
        ("-X BUSY", 4, "iptables v1.8.9 (nf_tables):  CHAIN_USER_DEL failed (Device or resource busy): chain BUSY"),
        ("-X", 4, "iptables v1.8.9 (nf_tables):  CHAIN_USER_DEL failed (Device or resource busy): chain BUSY"),
        ("-A INPUT foo -j ACCEPT", 2, "Bad argument `foo'\n" + tryHelp),
        ("-I INPUT 5 -j ACCEPT", 1, "iptables: Index of insertion too big."),
        ("-D INPUT 1", 1, "iptables: Index of deletion too big."),
        ("-R INPUT 1 -j ACCEPT", 1, "iptables: Index of replacement too big."),
        ("-t foo -L", 3,
         "iptables v1.8.9 (nf_tables): table 'foo' does not exist\nPerhaps iptables or your kernel needs to be upgraded."),
        ("-t nat -A PREROUTING -j DROP", 2,
         "iptables v1.8.9 (nf_tables): \nThe \"nat\" table is not intended for filtering, the use of DROP is therefore inhibited.\n\n\n" + tryHelp),
        ("-t nat -P PREROUTING DROP", 2,
         "iptables v1.8.9 (nf_tables): \nThe \"nat\" table is not intended for filtering, the use of DROP is therefore inhibited.\n\n\n" + tryHelp),
        ("-P KUBE-FORWARD DROP", 1, "iptables: Bad built-in chain name."),
        ("-P INPUT FOO", 1, "iptables: Bad policy name. Run `dmesg' for more information."),
        ("-A INPUT -p tcp --dport", 2, "iptables v1.8.9 (nf_tables): option \"--dport\" requires an argument\n" + tryHelp),
        ("-A INPUT -m set --match-set nosuch src -j ACCEPT", 2,
         "iptables v1.8.9 (nf_tables): Set nosuch doesn't exist.\n\n" + tryHelp),
        ("-A INPUT -j DNAT --to-destination 10.244.1.3", 4,
         "iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain INPUT"),
        ("-I INPUT -j MASQUERADE", 4,
         "iptables v1.8.9 (nf_tables):  RULE_INSERT failed (Invalid argument): rule in chain INPUT"),
        ("-A INPUT -p tcp --dport 99999 -j ACCEPT", 2,
         "iptables v1.8.9 (nf_tables): invalid port/service `99999' specified\n" + tryHelp),
        ("-A INPUT -s 10.0.0.300 -j ACCEPT", 2,
         "iptables v1.8.9 (nf_tables): host/network `10.0.0.300' not found\n" + tryHelp),
        ("-A INPUT -p foo -j ACCEPT", 2,
         "iptables v1.8.9 (nf_tables): unknown protocol \"foo\" specified\n" + tryHelp),
        ("-A INPUT -m conntrack --ctstate FOO -j ACCEPT", 2,
         "iptables v1.8.9 (nf_tables): Bad ctstate \"FOO\"\n" + tryHelp),
        ("-s 10.0.0.1", 2, "iptables v1.8.9 (nf_tables): no command specified\n" + tryHelp),
        ("-N ABCDEFGHIJKLMNOPQRSTUVWXYZABC", 2,
         "iptables v1.8.9 (nf_tables): chain name `ABCDEFGHIJKLMNOPQRSTUVWXYZABC' too long (must be under 29 chars)\n" + tryHelp),
        ("-N -FOO", 2, "iptables v1.8.9 (nf_tables): chain name not allowed to start with `-'\n\n" + tryHelp),
        ("-N DNAT", 2, "iptables v1.8.9 (nf_tables): chain name may not clash with target name\n\n" + tryHelp),
        ("-E BUSY EMPTY", 1, "iptables: File exists."),
        ("-I INPUT 0 -j ACCEPT", 2, "iptables v1.8.9 (nf_tables): Invalid rule number `0'\n" + tryHelp),
        ("-D INPUT 0", 2, "iptables v1.8.9 (nf_tables): Invalid rule number `0'\n" + tryHelp),
        ("-A INPUT -j ACCEPT -D INPUT", 2, "iptables v1.8.9 (nf_tables): Cannot use -D with -A\n" + tryHelp),
    ])
    func refused(command: String, status: Int, message: String) {
        let (nf, before) = node()
        let o = ipt(nf, command)
        #expect(o.status == status)
        #expect(o.output == message)
        #expect(snapshot(nf) == before)
    }

    @Test("a failing -X of all user chains removes none of them")
    func deleteAllIsAtomic() {
        let (nf, _) = node()
        #expect(ipt(nf, "-X").status == 4)
        #expect(nf.filter.chain("EMPTY") != nil)
        program(nf, ["-X EMPTY"])
        #expect(nf.filter.chain("EMPTY") == nil)
    }

    @Test("an empty, unreferenced chain can be deleted; a referenced one once the jump is gone")
    func deleteAfterUnreference() {
        let (nf, _) = node()
        program(nf, ["-D FORWARD -j KUBE-FORWARD", "-F KUBE-FORWARD", "-X KUBE-FORWARD"])
        #expect(nf.filter.chain("KUBE-FORWARD") == nil)
        #expect(ipt(nf, "-S FORWARD").output == "-P FORWARD ACCEPT")
    }

    @Test("a 28-character chain name is the longest allowed")
    func longestName() {
        let nf = Netfilter()
        program(nf, ["-N ABCDEFGHIJKLMNOPQRSTUVWXYZAB"])
        #expect(nf.filter.chain("ABCDEFGHIJKLMNOPQRSTUVWXYZAB") != nil)
    }

    @Test("iptables -C of an existing rule succeeds silently")
    func checkExisting() {
        let (nf, _) = node()
        #expect(ipt(nf, "-C KUBE-FORWARD -p tcp --dport 22 -j ACCEPT") == Iptables.Outcome(status: 0, output: ""))
        #expect(ipt(nf, "-t nat -C PREROUTING -d 10.96.0.10/32 -j ACCEPT").status == 0)
    }
}
