import Foundation
import MobileCore

/// The project and site this phone records for. Dates are on the site's calendar, not the phone's.
public struct SiteContext: Hashable, Sendable {
    public var projectId: String
    public var siteId: String
    public var siteName: String
    /// IANA zone of the site, e.g. `Asia/Shanghai`.
    public var timeZone: String

    public init(projectId: String, siteId: String, siteName: String, timeZone: String) {
        self.projectId = projectId
        self.siteId = siteId
        self.siteName = siteName
        self.timeZone = timeZone
    }

    public var place: RecordPlace {
        RecordPlace(projectId: projectId, siteId: siteId, timeZone: timeZone)
    }

    /// Today on the site, as `YYYY-MM-DD`: a foreman abroad or a phone on the wrong zone still files the right day.
    /// An unknown zone falls back to the phone's; the core then refuses the zone by name when a record is saved.
    public func today(at now: Date) -> String {
        SiteCalendar.formatter(in: TimeZone(identifier: timeZone) ?? .current).string(from: now)
    }

    /// `day` (`YYYY-MM-DD`) moved by `days` on the calendar; `nil` if `day` is not a date.
    public static func day(_ day: String, adding days: Int) -> String? {
        let utc = SiteCalendar.utc
        let format = SiteCalendar.formatter(in: utc)
        guard let date = format.date(from: day) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc
        return calendar.date(byAdding: .day, value: days, to: date).map(format.string(from:))
    }
}

/// Where the server is and who this device is (a token from `fieldledger-server token create`).
public struct ServerAccount: Hashable, Sendable {
    public var baseUrl: String
    public var token: String

    public init(baseUrl: String, token: String) {
        self.baseUrl = baseUrl
        self.token = token
    }
}

/// Calendar days as the core writes them: Gregorian, `YYYY-MM-DD`, whatever the phone's locale and calendar.
enum SiteCalendar {
    // GMT is always known; the fallback only satisfies the type checker.
    static let utc = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? .current

    static func formatter(in zone: TimeZone) -> DateFormatter {
        let f = DateFormatter()
        f.calendar = Calendar(identifier: .gregorian)
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = "yyyy-MM-dd"
        return f
    }
}
