import Testing
@testable import KubeSimNet
import KubeSimCore

// A rule typed one way prints the canonical way (iptables-save / -S): addresses masked
// with their prefix (/32 included), -s -d -i -o -p first, matches in the order loaded
// (the protocol's implicit match at the first option that needs it), then the target
// with every option it stores.

/// Runs one `-A` command on a fresh namespace and returns what `-S CHAIN` prints for it.
func savedLine(_ command: String) -> String {
    let nf = Netfilter()
    let set = IPSet(name: "kube", kind: .hashIPPort)
    nf.ipsets["kube"] = set
    program(nf, ["-N FOO", command])
    var w = words(command)
    let table = w.firstIndex(of: "-t").map { w[$0 + 1] } ?? "filter"
    w.removeAll { $0 == "-t" || $0 == table }
    let chain = w[w.firstIndex(of: "-A")! + 1]
    return ipt(nf, "-t \(table) -S \(chain)").output.split(separator: "\n").last.map(String.init) ?? ""
}

@Suite("Rule text")
struct RuleTextTests {
    @Test("each rule's -S text", arguments: [
        ("-A INPUT -p tcp --tcp-flags ALL NONE -j DROP",
         "-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE -j DROP"),
        ("-A INPUT -p tcp --syn -j ACCEPT",
         "-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT"),
        ("-A INPUT -p tcp --tcp-flags SYN,ACK,FIN,RST RST -j DROP",
         "-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK RST -j DROP"),
        ("-A INPUT -p tcp ! --dport 22 -j DROP",
         "-A INPUT -p tcp -m tcp ! --dport 22 -j DROP"),
        ("-A INPUT -p tcp --dport 80 --sport 1024:65535 -j ACCEPT",
         "-A INPUT -p tcp -m tcp --sport 1024:65535 --dport 80 -j ACCEPT"),
        ("-A INPUT -m comment --comment \"ns/svc:http cluster IP\" -m tcp -p tcp -d 10.96.0.10/32 --dport 80 -j ACCEPT",
         "-A INPUT -d 10.96.0.10/32 -p tcp -m comment --comment \"ns/svc:http cluster IP\" -m tcp --dport 80 -j ACCEPT"),
        ("-A INPUT -p tcp -m comment --comment flannel --dport 80 -j ACCEPT",
         "-A INPUT -p tcp -m comment --comment flannel -m tcp --dport 80 -j ACCEPT"),
        ("-A INPUT -p icmp --icmp-type echo-request -j ACCEPT",
         "-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT"),
        ("-A INPUT -s 10.1.2.3/8 -d 192.168.1.1 -i eth0 -j ACCEPT",
         "-A INPUT -s 10.0.0.0/8 -d 192.168.1.1/32 -i eth0 -j ACCEPT"),
        ("-A FORWARD -o cni0 ! -i cni0 ! -s 10.0.0.0/8 -j DROP",
         "-A FORWARD ! -s 10.0.0.0/8 ! -i cni0 -o cni0 -j DROP"),
        ("-A INPUT -p udp -m multiport --dports 53,123,1000:2000 -j ACCEPT",
         "-A INPUT -p udp -m multiport --dports 53,123,1000:2000 -j ACCEPT"),
        ("-A INPUT -p tcp -m multiport ! --dports 80,443 -j DROP",
         "-A INPUT -p tcp -m multiport ! --dports 80,443 -j DROP"),
        ("-A INPUT -m statistic --mode random --probability 0.33333333349 -j ACCEPT",
         "-A INPUT -m statistic --mode random --probability 0.33333333349 -j ACCEPT"),
        ("-A INPUT -m statistic --mode random --probability 0.2 -j ACCEPT",
         "-A INPUT -m statistic --mode random --probability 0.20000000019 -j ACCEPT"),
        ("-A INPUT -m statistic --mode nth --every 2 --packet 0 -j ACCEPT",
         "-A INPUT -m statistic --mode nth --every 2 --packet 0 -j ACCEPT"),
        ("-A INPUT -m mark --mark 0x4000/0x4000 -j ACCEPT",
         "-A INPUT -m mark --mark 0x4000/0x4000 -j ACCEPT"),
        ("-A INPUT -m mark ! --mark 1 -j ACCEPT",
         "-A INPUT -m mark ! --mark 0x1 -j ACCEPT"),
        ("-t mangle -A PREROUTING -j MARK --or-mark 0x4000",
         "-A PREROUTING -j MARK --set-xmark 0x4000/0x4000"),
        ("-t mangle -A PREROUTING -j MARK --set-mark 0x1",
         "-A PREROUTING -j MARK --set-xmark 0x1/0xffffffff"),
        ("-t mangle -A PREROUTING -j MARK --set-mark 0x4000/0xff",
         "-A PREROUTING -j MARK --set-xmark 0x4000/0x40ff"),
        ("-t mangle -A PREROUTING -j MARK --and-mark 0xff00",
         "-A PREROUTING -j MARK --set-xmark 0x0/0xffff00ff"),
        ("-t mangle -A PREROUTING -j MARK --xor-mark 0x1",
         "-A PREROUTING -j MARK --set-xmark 0x1/0x0"),
        ("-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT",
         "-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT"),
        ("-A INPUT -m addrtype ! --src-type LOCAL --limit-iface-out -j ACCEPT",
         "-A INPUT -m addrtype ! --src-type LOCAL --limit-iface-out -j ACCEPT"),
        ("-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
         "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"),
        ("-A INPUT -m conntrack ! --ctstate NEW -j ACCEPT",
         "-A INPUT -m conntrack ! --ctstate NEW -j ACCEPT"),
        ("-A INPUT -m state --state NEW,INVALID -j DROP",
         "-A INPUT -m state --state INVALID,NEW -j DROP"),
        ("-A INPUT -m set --match-set kube dst,dst -j ACCEPT",
         "-A INPUT -m set --match-set kube dst,dst -j ACCEPT"),
        ("-A INPUT -m set ! --match-set kube src,dst -j ACCEPT",
         "-A INPUT -m set ! --match-set kube src,dst -j ACCEPT"),
        ("-A INPUT -m recent --set --name SSH",
         "-A INPUT -m recent --set --name SSH --mask 255.255.255.255 --rsource"),
        ("-A INPUT -m recent --update --seconds 60 --hitcount 4 --name SSH -j DROP",
         "-A INPUT -m recent --update --seconds 60 --hitcount 4 --name SSH --mask 255.255.255.255 --rsource -j DROP"),
        ("-A FORWARD -m physdev --physdev-is-bridged -j ACCEPT",
         "-A FORWARD -m physdev --physdev-is-bridged -j ACCEPT"),
        ("-A FORWARD -m physdev --physdev-out veth1 --physdev-is-bridged -j ACCEPT",
         "-A FORWARD -m physdev --physdev-out veth1 --physdev-is-bridged -j ACCEPT"),
        ("-A FORWARD -m physdev --physdev-out veth2 --physdev-in veth1 --physdev-is-in -j ACCEPT",
         "-A FORWARD -m physdev --physdev-is-in --physdev-in veth1 --physdev-out veth2 -j ACCEPT"),
        ("-A INPUT -j REJECT",
         "-A INPUT -j REJECT --reject-with icmp-port-unreachable"),
        ("-A INPUT -p tcp -j REJECT --reject-with tcp-reset",
         "-A INPUT -p tcp -j REJECT --reject-with tcp-reset"),
        ("-A INPUT -j LOG --log-prefix \"DROP: \" --log-level 6",
         "-A INPUT -j LOG --log-prefix \"DROP: \" --log-level 6"),
        ("-A INPUT -j LOG --log-level warning",
         "-A INPUT -j LOG"),
        ("-A INPUT -g FOO",
         "-A INPUT -g FOO"),
        ("-t nat -A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.244.1.3:8080",
         "-A PREROUTING -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.244.1.3:8080"),
        ("-t nat -A POSTROUTING -o eth0 -j MASQUERADE --random",
         "-A POSTROUTING -o eth0 -j MASQUERADE --random"),
        ("-t nat -A POSTROUTING -s 10.244.0.0/16 -j SNAT --to-source 192.168.1.10 --random-fully",
         "-A POSTROUTING -s 10.244.0.0/16 -j SNAT --to-source 192.168.1.10 --random-fully"),
        ("-t nat -A OUTPUT -p tcp -d 127.0.0.11 --dport 53 -j REDIRECT --to-ports 5353",
         "-A OUTPUT -d 127.0.0.11/32 -p tcp -m tcp --dport 53 -j REDIRECT --to-ports 5353"),
        ("-t raw -A PREROUTING -p udp --dport 53 -j CT --notrack",
         "-A PREROUTING -p udp -m udp --dport 53 -j CT --notrack"),
    ])
    func saveText(command: String, expected: String) {
        #expect(savedLine(command) == expected)
    }

    @Test("-t nat -P POSTROUTING and -S show the policy; -I puts a rule first; -R replaces; -D by spec and number")
    func editing() {
        let nf = Netfilter()
        program(nf, ["-A INPUT -s 10.0.0.1 -j ACCEPT",
                     "-A INPUT -s 10.0.0.2 -j ACCEPT",
                     "-I INPUT -s 10.0.0.3 -j DROP",
                     "-I INPUT 3 -s 10.0.0.4 -j DROP",
                     "-R INPUT 1 -s 10.0.0.5 -j DROP",
                     "-P INPUT DROP"])
        #expect(ipt(nf, "-S INPUT").output == [
            "-P INPUT DROP",
            "-A INPUT -s 10.0.0.5/32 -j DROP",
            "-A INPUT -s 10.0.0.1/32 -j ACCEPT",
            "-A INPUT -s 10.0.0.4/32 -j DROP",
            "-A INPUT -s 10.0.0.2/32 -j ACCEPT",
        ].joined(separator: "\n"))
        program(nf, ["-D INPUT -s 10.0.0.1/32 -j ACCEPT", "-D INPUT 1"])
        #expect(ipt(nf, "-C INPUT -s 10.0.0.2 -j ACCEPT") == Iptables.Outcome(status: 0, output: ""))
        #expect(ipt(nf, "-S INPUT").output == [
            "-P INPUT DROP",
            "-A INPUT -s 10.0.0.4/32 -j DROP",
            "-A INPUT -s 10.0.0.2/32 -j ACCEPT",
        ].joined(separator: "\n"))
    }

    @Test("-E renames a chain and the jumps to it; -F and -X clear and remove")
    func renameFlushDelete() {
        let nf = Netfilter()
        program(nf, ["-N OLD", "-A OLD -j ACCEPT", "-A FORWARD -j OLD", "-E OLD NEW"])
        #expect(ipt(nf, "-S").output == [
            "-P INPUT ACCEPT", "-P FORWARD ACCEPT", "-P OUTPUT ACCEPT", "-N NEW",
            "-A FORWARD -j NEW", "-A NEW -j ACCEPT",
        ].joined(separator: "\n"))
        program(nf, ["-F", "-X"])
        #expect(ipt(nf, "-S").output == "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT")
    }
}
