import Crypto

/// The digests agents name things by, from swift-crypto: SHA-1 for Calico's veth names,
/// Felix's rule hashes and weave-npc's set names; SHA-256 for kube-proxy's chain names.
enum Digests {
    static func sha1Hex(_ message: [UInt8]) -> String { hex(Array(Insecure.SHA1.hash(data: message))) }
    static func sha256(_ message: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: message)) }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 4648 base32 with the standard alphabet and padding (Go's base32.StdEncoding).
    static func base32(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
        var out: [UInt8] = []
        var buffer: UInt64 = 0, bits = 0
        for b in bytes {
            buffer = (buffer << 8) | UInt64(b); bits += 8
            while bits >= 5 { bits -= 5; out.append(alphabet[Int((buffer >> UInt64(bits)) & 31)]) }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt64(5 - bits)) & 31)]) }
        while out.count % 8 != 0 { out.append(UInt8(ascii: "=")) }
        return String(decoding: out, as: UTF8.self)
    }
}
