/// Simulated time as text: RFC 3339 stamps and date(1)'s layout. Time 0 is
/// 2026-01-01T00:00:00Z (a Thursday); every component prints time through these.
public enum SimTime {
    public static func stamp(_ ns: Int64) -> String {
        let (y, mo, d, h, mi, se) = civil(ns)
        var out = [UInt8](repeating: 0, count: 20)
        func put(_ v: Int, _ at: Int, _ width: Int) {
            var v = v
            for i in stride(from: at + width - 1, through: at, by: -1) { out[i] = UInt8(48 + v % 10); v /= 10 }
        }
        put(y, 0, 4); out[4] = 45; put(mo, 5, 2); out[7] = 45; put(d, 8, 2); out[10] = 84
        put(h, 11, 2); out[13] = 58; put(mi, 14, 2); out[16] = 58; put(se, 17, 2); out[19] = 90
        return String(decoding: out, as: UTF8.self)
    }

    /// (year, month, day, hour, minute, second) of simulated time (0 = 2026-01-01T00:00:00Z).
    public static func civil(_ ns: Int64) -> (Int, Int, Int, Int, Int, Int) {
        var s = ns / 1_000_000_000
        var days = Int(s / 86400)
        s %= 86400
        var y = 2026
        func leap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
        while days >= (leap(y) ? 366 : 365) { days -= leap(y) ? 366 : 365; y += 1 }
        let months = leap(y) ? [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        var m = 0
        while days >= months[m] { days -= months[m]; m += 1 }
        return (y, m + 1, days + 1, Int(s / 3600), Int(s % 3600 / 60), Int(s % 60))
    }

    /// `date`: `Thu Jan  1 00:00:05 UTC 2026` (2026-01-01 is a Thursday).
    public static func date(_ ns: Int64) -> String {
        let stamp = Self.stamp(ns)
        let parts = stamp.split(separator: "T")
        let ymd = parts[0].split(separator: "-").map { Int($0)! }
        let days = Int(ns / 86_400_000_000_000)
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days % 7]
        let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][ymd[1] - 1]
        let day = ymd[2] < 10 ? " \(ymd[2])" : "\(ymd[2])"
        return "\(weekday) \(month) \(day) \(parts[1].dropLast()) UTC \(ymd[0])"
    }

}
