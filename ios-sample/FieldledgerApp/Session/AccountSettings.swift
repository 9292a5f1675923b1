import ForemanCore
import Foundation

/// Who signs in where: everything but the token, which lives in the Keychain (`TokenKeychain`).
struct AccountSettings: Codable, Equatable {
    /// The simulator reaches the Mac's `cargo run -p server` here; a phone needs the Mac's LAN address.
    var serverURL = "http://127.0.0.1:8080"
    var projectId = ""
    var siteId = ""
    var siteName = ""
    /// The site's IANA zone: records are dated on the site's calendar.
    var timeZone = TimeZone.current.identifier
    /// The foreman's name, written into every record as its author.
    var author = ""

    private static let key = "fieldledger.account"

    /// Every field the store and sync need is filled in and the zone exists.
    var isComplete: Bool {
        let required = [serverURL, projectId, siteId, timeZone, author]
        return !required.contains { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
            && TimeZone(identifier: timeZone) != nil
    }

    var site: SiteContext {
        SiteContext(
            projectId: projectId.trimmingCharacters(in: .whitespaces),
            siteId: siteId.trimmingCharacters(in: .whitespaces),
            siteName: siteName.isEmpty ? siteId : siteName,
            timeZone: timeZone.trimmingCharacters(in: .whitespaces)
        )
    }

    static func load(from defaults: UserDefaults = .standard) -> AccountSettings {
        guard let data = defaults.data(forKey: key),
              let settings = try? JSONDecoder().decode(AccountSettings.self, from: data)
        else { return AccountSettings() }
        return settings
    }

    func save(to defaults: UserDefaults = .standard) {
        if let data = try? JSONEncoder().encode(self) {
            defaults.set(data, forKey: Self.key)
        }
    }
}
