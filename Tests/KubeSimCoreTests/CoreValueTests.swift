import Testing
@testable import KubeSimCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Expected values below were worked out by hand from Go's `time.Duration` and
// Kubernetes' `resource.Quantity` rules, not by running the code under test.

@Suite("SimDuration")
struct SimDurationTests {
    @Test("parses Go duration forms to exact nanoseconds", arguments: [
        ("1h30m", Int64(5_400_000_000_000)),
        ("500ms", 500_000_000),
        ("1.5s", 1_500_000_000),
        ("90s", 90_000_000_000),
        ("2m", 120_000_000_000),
        ("1h", 3_600_000_000_000),
        ("0", 0),
        ("0s", 0),
        ("-2s", -2_000_000_000),
        ("+3s", 3_000_000_000),
        ("1.5h", 5_400_000_000_000),
        ("100us", 100_000),
        ("100µs", 100_000),
        ("250ns", 250),
        ("1m1.5s", 61_500_000_000),
        ("72h3m0.5s", 259_380_500_000_000),
        (".5s", 500_000_000),
        ("1h0m0s", 3_600_000_000_000),
    ])
    func parses(text: String, nanoseconds: Int64) {
        #expect(SimDuration(parsing: text)?.nanoseconds == nanoseconds)
    }

    @Test("rejects text that is not a duration", arguments: [
        "", "abc", "5", "5x", "ms", "1.2.3s", "1h30", "s5", "-", "1 h",
    ])
    func rejects(text: String) {
        #expect(SimDuration(parsing: text) == nil)
    }

    @Test("prints as Go's Duration.String", arguments: [
        (Int64(5_400_000_000_000), "1h30m0s"),
        (1_500_000_000, "1.5s"),
        (500_000_000, "500ms"),
        (0, "0s"),
        (120_000_000_000, "2m0s"),
        (90_000_000_000, "1m30s"),
        (3_600_000_000_000, "1h0m0s"),
        (259_380_500_000_000, "72h3m0.5s"),
        (1_001_000_000, "1.001s"),
        (1_000_000_000, "1s"),
        (1_500_000, "1.5ms"),
        (1_000_000, "1ms"),
        (1_500, "1.5µs"),
        (100_000, "100µs"),
        (999, "999ns"),
        (1, "1ns"),
        (-2_000_000_000, "-2s"),
        (-1_500_000, "-1.5ms"),
        (3_661_000_000_000, "1h1m1s"),
    ])
    func prints(nanoseconds: Int64, text: String) {
        #expect(SimDuration(nanoseconds: nanoseconds).description == text)
    }

    @Test func constructorsAndArithmetic() {
        #expect(SimDuration.seconds(2).nanoseconds == 2_000_000_000)
        #expect(SimDuration.minutes(2).nanoseconds == 120_000_000_000)
        #expect(SimDuration.hours(1).nanoseconds == 3_600_000_000_000)
        #expect(SimDuration.milliseconds(5).nanoseconds == 5_000_000)
        #expect(SimDuration.microseconds(5).nanoseconds == 5_000)
        #expect(SimDuration.zero.nanoseconds == 0)
        #expect((SimDuration.hours(1) + .minutes(30)).description == "1h30m0s")
        #expect((SimDuration.seconds(1) - .milliseconds(250)).description == "750ms")
        #expect(SimDuration.seconds(1) < .seconds(2))
        #expect(!(SimDuration.seconds(2) < .seconds(2)))
        #expect(SimDuration.milliseconds(1500).seconds == 1.5)
        #expect(SimDuration(parsing: "1m30s") == SimDuration(parsing: "90s"))
    }

    @Test("round trip: parse(print(d)) == d", arguments: [
        Int64(5_400_000_000_000), 1_500_000_000, 500_000_000, 0, 61_500_000_000, 1_500, 999, -2_000_000_000,
    ])
    func roundTrip(nanoseconds: Int64) {
        let d = SimDuration(nanoseconds: nanoseconds)
        #expect(SimDuration(parsing: d.description) == d)
    }

    /// Go's ParseDuration reports "invalid duration" when the total overflows int64
    /// (max is 2562047h47m16.854775807s); it must not wrap around to a negative value.
    @Test func parseOverflowIsRejectedNotWrapped() {
        // 2562047h = 9_223_369_200_000_000_000 ns, + 48m = 2_880_000_000_000 ns → > Int64.max
        // (Compared via `.nanoseconds` so a failure prints a number: printing the
        // wrapped value Int64.min would itself trap, see minimumDurationPrintsWithoutTrapping.)
        #expect(SimDuration(parsing: "2562047h48m")?.nanoseconds == nil)
        #expect(SimDuration(parsing: "9223372036854775807ns1ns")?.nanoseconds == nil)
        // A single unit that overflows is already rejected.
        #expect(SimDuration(parsing: "9999999999h") == nil)
    }

    /// Go prints math.MinInt64 nanoseconds as "-2562047h47m16.854775808s".
    @Test func minimumDurationPrintsWithoutTrapping() async {
        await #expect(processExitsWith: .success) {
            let text = SimDuration(nanoseconds: Int64.min).description
            exit(text == "-2562047h47m16.854775808s" ? 0 : 1)
        }
    }
}

@Suite("Quantity")
struct QuantityTests {
    @Test("parses to milli-units", arguments: [
        ("250m", Int64(250)),
        ("2", 2_000),
        ("0.5", 500),
        ("1Gi", 1_073_741_824_000),
        ("512Mi", 536_870_912_000),
        ("1Ki", 1_024_000),
        ("2k", 2_000_000),
        ("1.5G", 1_500_000_000_000),
        ("1M", 1_000_000_000),
        ("0", 0),
        ("-250m", -250),
        ("+1", 1_000),
        ("0.0001", 1),      // finer than 1m: rounded up as Kubernetes does
        ("1.5Ki", 1_536_000),
        (".5", 500),
    ])
    func parses(text: String, milli: Int64) {
        #expect(Quantity(parsing: text)?.milli == milli)
    }

    @Test("format follows the suffix", arguments: [
        ("1Gi", Quantity.Format.binarySI), ("512Mi", .binarySI), ("2k", .decimalSI), ("250m", .decimalSI), ("3", .decimalSI),
    ])
    func format(text: String, format: Quantity.Format) {
        #expect(Quantity(parsing: text)?.format == format)
    }

    @Test("rejects malformed text", arguments: ["", "abc", "1.2.3", "5X", ".", "1Ki5", "Gi", "1 Gi", "1gi", "--1"])
    func rejects(text: String) {
        #expect(Quantity(parsing: text) == nil)
    }

    @Test("prints the canonical Kubernetes form", arguments: [
        ("250m", "250m"),
        ("1Gi", "1Gi"),
        ("1536Mi", "1536Mi"),
        ("1000Mi", "1000Mi"),
        ("1024Mi", "1Gi"),
        ("0.5", "500m"),
        ("2k", "2k"),
        ("2000", "2k"),
        ("1000k", "1M"),
        ("1500000", "1500k"),
        ("1.5G", "1500M"),
        ("1.5Gi", "1536Mi"),
        ("0.5Gi", "512Mi"),
        ("1.5k", "1500"),
        ("1500m", "1500m"),
        ("1000m", "1"),
        ("0", "0"),
        ("128974848", "128974848"),
        ("1.5Ki", "1536"),
        ("-250m", "-250m"),
        ("0.0001", "1m"),
    ])
    func canonical(text: String, printed: String) {
        #expect(Quantity(parsing: text)?.description == printed)
    }

    @Test func valueRoundsUpAndCompares() throws {
        #expect(try #require(Quantity(parsing: "250m")).value == 1)
        #expect(try #require(Quantity(parsing: "1.5")).value == 2)
        #expect(try #require(Quantity(parsing: "2")).value == 2)
        #expect(try #require(Quantity(parsing: "1Gi")) > #require(Quantity(parsing: "1000Mi")))
        #expect(Quantity(parsing: "1000m") == Quantity(parsing: "1"))
        #expect(Quantity(parsing: "1Ki") == Quantity(parsing: "1024"))
        #expect(Quantity(2).description == "2")
        #expect(Quantity(milli: 1500).description == "1500m")
    }

    @Test func arithmeticKeepsTheLeftFormat() throws {
        let gi = try #require(Quantity(parsing: "1Gi"))
        let mi = try #require(Quantity(parsing: "512Mi"))
        #expect((gi + mi).description == "1536Mi")
        #expect((gi - mi).description == "512Mi")
        let cpu = try #require(Quantity(parsing: "250m"))
        #expect((cpu + cpu + cpu + cpu).description == "1")
    }

    /// Documented: exponent forms (`1e3`) are not accepted (Kubernetes does accept them).
    @Test func exponentFormsAreRejected() {
        #expect(Quantity(parsing: "1e3") == nil)
        #expect(Quantity(parsing: "5e-3") == nil)
    }

    /// Kubernetes' CanonicalizeBytes prints a BinarySI value strictly between -1024 and
    /// 1024 in DecimalSI (`1Ki - 24` → "1k"), to avoid confusing binary suffixes.
    @Test func smallBinaryValuesPrintAsDecimal() throws {
        #expect(Quantity(milli: 1_000_000, format: .binarySI).description == "1k")
        let q = try #require(Quantity(parsing: "1Ki")) - #require(Quantity(parsing: "24"))
        #expect(q.description == "1k")
    }

    /// A fraction that pushes the value past Int64 must make parsing fail, not trap.
    @Test func fractionOverflowIsRejectedNotTrapped() async {
        await #expect(processExitsWith: .success) {
            // 9223372036854775 whole units = 9223372036854775000m; + .808 → past Int64.max
            exit(Quantity(parsing: "9223372036854775.808") == nil ? 0 : 1)
        }
    }
}

@Suite("IPv4, CIDR and endpoints")
struct AddressTests {
    @Test func parsesDottedQuads() throws {
        let ip = try #require(IPv4Address(parsing: "10.0.0.1"))
        #expect(ip.value == 0x0A00_0001)
        #expect(ip.description == "10.0.0.1")
        #expect(IPv4Address(parsing: "255.255.255.255")?.value == 0xFFFF_FFFF)
        #expect(IPv4Address(parsing: "0.0.0.0")?.value == 0)
        #expect(IPv4Address(parsing: "192.168.1.20")?.value == 0xC0A8_0114)
        #expect(IPv4Address(192, 168, 1, 20).description == "192.168.1.20")
        #expect(IPv4Address(0xC0A8_0114) == IPv4Address(192, 168, 1, 20))
        #expect(IPv4Address(10, 0, 0, 1) < IPv4Address(10, 0, 0, 2))
        #expect(IPv4Address(9, 255, 255, 255) < IPv4Address(10, 0, 0, 0))
    }

    @Test("rejects malformed addresses", arguments: [
        "256.0.0.1", "1.2.3", "1.2.3.4.5", "a.b.c.d", "1..2.3", "", "1.2.3.4 ", "0001.2.3.4", ".1.2.3", "1.2.3.", "1.2.3.-4",
    ])
    func rejectsAddress(text: String) {
        #expect(IPv4Address(parsing: text) == nil)
    }

    @Test func cidrNetworkBroadcastSizeContains() throws {
        let c = try #require(CIDR(parsing: "10.244.0.0/16"))
        #expect(c.prefixLength == 16)
        #expect(c.description == "10.244.0.0/16")
        #expect(c.network.description == "10.244.0.0")
        #expect(c.broadcast.description == "10.244.255.255")
        #expect(c.size == 65_536)
        #expect(c.mask == 0xFFFF_0000)
        #expect(c.contains(IPv4Address(10, 244, 3, 7)))
        #expect(c.contains(IPv4Address(10, 244, 255, 255)))
        #expect(!c.contains(IPv4Address(10, 245, 0, 1)))
        #expect(!c.contains(IPv4Address(10, 243, 255, 255)))
    }

    @Test func cidrKeepsHostBitsAsWritten() throws {
        let c = try #require(CIDR(parsing: "10.0.0.5/24"))
        #expect(c.description == "10.0.0.5/24")
        #expect(c.network.description == "10.0.0.0")
        #expect(c.broadcast.description == "10.0.0.255")
        #expect(c.size == 256)
        #expect(c.contains(IPv4Address(10, 0, 0, 200)))
        #expect(!c.contains(IPv4Address(10, 0, 1, 0)))
    }

    @Test func cidrEdgePrefixes() throws {
        let all = try #require(CIDR(parsing: "0.0.0.0/0"))
        #expect(all.mask == 0)
        #expect(all.size == 4_294_967_296)
        #expect(all.contains(IPv4Address(8, 8, 8, 8)))
        #expect(all.contains(IPv4Address(255, 255, 255, 255)))
        let host = try #require(CIDR(parsing: "10.1.2.3/32"))
        #expect(host.size == 1)
        #expect(host.contains(IPv4Address(10, 1, 2, 3)))
        #expect(!host.contains(IPv4Address(10, 1, 2, 4)))
        let slash31 = try #require(CIDR(parsing: "10.0.0.0/31"))
        #expect(slash31.size == 2)
        #expect(slash31.broadcast.description == "10.0.0.1")
    }

    @Test("rejects malformed CIDRs", arguments: [
        "10.0.0.0/33", "10.0.0.0", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/016", "10.0.0.0/a", "/8", "10.0.0/8", "10.0.0.0/8/8",
    ])
    func rejectsCIDR(text: String) {
        #expect(CIDR(parsing: text) == nil)
    }

    @Test func endpoints() throws {
        let e = try #require(IPEndpoint(parsing: "10.96.0.10:53"))
        #expect(e.ip == IPv4Address(10, 96, 0, 10))
        #expect(e.port == 53)
        #expect(e.description == "10.96.0.10:53")
        #expect(IPEndpoint(parsing: "1.2.3.4:65535")?.port == 65_535)
        #expect(IPEndpoint(parsing: "1.2.3.4:0")?.port == 0)
        #expect(IPEndpoint(ip: IPv4Address(127, 0, 0, 1), port: 8080).description == "127.0.0.1:8080")
    }

    @Test("rejects malformed endpoints", arguments: [
        "10.96.0.10", "10.96.0.10:", ":53", "10.96.0.10:65536", "10.96.0.10:123456", "10.96.0:53", "10.96.0.10:5:3", "10.96.0.10:http",
    ])
    func rejectsEndpoint(text: String) {
        #expect(IPEndpoint(parsing: text) == nil)
    }
}

@Suite("SeededRandom")
struct SeededRandomTests {
    @Test func sameSeedSameSequence() {
        var a = SeededRandom(seed: 42)
        var b = SeededRandom(seed: 42)
        let xs = (0..<20).map { _ in a.next() }
        let ys = (0..<20).map { _ in b.next() }
        #expect(xs == ys)
        #expect(a.seed == 42)
    }

    @Test func differentSeedsDiffer() {
        var a = SeededRandom(seed: 1)
        var b = SeededRandom(seed: 2)
        let xs = (0..<8).map { _ in a.next() }
        let ys = (0..<8).map { _ in b.next() }
        #expect(xs != ys)
        #expect(Set(xs).count == 8)
    }

    /// Reference values from the xoshiro256** and SplitMix64 reference C code
    /// (Blackman & Vigna), computed independently of this implementation.
    @Test func matchesReferenceXoshiro256StarStar() {
        var zero = SeededRandom(seed: 0)
        #expect((0..<4).map { _ in zero.next() } == [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0, 0x6AA5_94F1_262D_2D2C])
        var fortyTwo = SeededRandom(seed: 42)
        #expect((0..<4).map { _ in fortyTwo.next() } == [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1, 0xECB8_AD47_03B3_60A1])
    }

    @Test func nextIntStaysInBoundsAndIsDeterministic() {
        var a = SeededRandom(seed: 7)
        var b = SeededRandom(seed: 7)
        var seen = Set<Int>()
        for _ in 0..<500 {
            let x = a.nextInt(below: 10)
            #expect((0..<10).contains(x))
            #expect(x == b.nextInt(below: 10))
            seen.insert(x)
        }
        #expect(seen.count == 10)
        var one = SeededRandom(seed: 3)
        #expect(one.nextInt(below: 1) == 0)
    }
}
