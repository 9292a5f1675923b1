import Foundation
import Security

/// The device token, kept in the Keychain rather than UserDefaults: it is a bearer credential for the project.
/// `AfterFirstUnlockThisDeviceOnly`: readable by a sync that runs while the phone is locked, never restored to
/// another device from a backup.
enum TokenKeychain {
    private static let service = "com.fieldledger.sample.device-token"
    private static let account = "device"

    struct Failure: Error, CustomStringConvertible {
        let status: OSStatus
        var description: String {
            let text = SecCopyErrorMessageString(status, nil) as String? ?? "unknown"
            return "Keychain error \(status): \(text)"
        }
    }

    private static var query: [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
        ]
    }

    static func read() -> String? {
        var lookup = query
        lookup[kSecReturnData as String] = true
        lookup[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        guard SecItemCopyMatching(lookup as CFDictionary, &item) == errSecSuccess,
              let data = item as? Data
        else { return nil }
        return String(data: data, encoding: .utf8)
    }

    static func save(_ token: String) throws {
        delete()
        var item = query
        item[kSecValueData as String] = Data(token.utf8)
        item[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        let status = SecItemAdd(item as CFDictionary, nil)
        guard status == errSecSuccess else { throw Failure(status: status) }
    }

    static func delete() {
        SecItemDelete(query as CFDictionary)
    }
}
