import Foundation
import MobileCore

/// What a screen shows when a call fails: the core's typed errors turned into words and, for bad input, the form
/// field to highlight. The generated `CoreError` carries fields, not sentences, so the sentences are written here.
public enum UiError: Error, Hashable, Sendable {
    /// Bad input: `field` is the form's key (see `formField(_:)`), `message` the core's reason.
    case field(field: String, message: String)
    /// No connection: nothing is lost, the records wait on the phone.
    case offline(reason: String)
    /// The token was refused: sign in again.
    case signInAgain(reason: String)
    /// Sign-out or wipe refused because work has not reached the server.
    case unsynced(records: Int, photos: Int)
    case photo(message: String)
    /// The foreman stopped the work (the Cancel button): nothing is lost, the rest follows at the next sync.
    case cancelled
    case other(message: String)

    public var message: String {
        switch self {
        case let .field(_, message), let .photo(message), let .other(message):
            return message
        case .offline:
            return "No connection to the server. Nothing is lost: sync again when you have signal."
        case let .signInAgain(reason):
            return "The server refused this phone's sign-in (\(reason)). Sign in again."
        case let .unsynced(records, photos):
            return "\(records) records and \(photos) photos are not on the server yet. Sync first."
        case .cancelled:
            return "Stopped. Nothing is lost: what was done stays done, the rest follows next time."
        }
    }

    /// Any error a call threw: the core's `CoreError` in words, anything else (cancellation, a bug in the
    /// bindings) as its description.
    public init(_ error: any Error) {
        if let ui = error as? UiError {
            self = ui
        } else if let core = error as? CoreError {
            self = UiError(core)
        } else {
            self = .other(message: String(describing: error))
        }
    }

    public init(_ error: CoreError) {
        switch error {
        case let .InvalidInput(field, reason):
            self = .field(field: formField(field), message: reason)
        case let .Offline(reason):
            self = .offline(reason: reason)
        case let .Unauthorized(reason):
            self = .signInAgain(reason: reason)
        case let .UnsyncedData(records, photos):
            self = .unsynced(records: Int(records), photos: Int(photos))
        case let .PhotoUnreadable(_, reason):
            self = .photo(message: "The photo file cannot be read: \(reason)")
        case let .PhotoTooLarge(width, height, maxPixels):
            self = .photo(message: "This photo is \(width)×\(height) pixels, more than \(maxPixels / 1_000_000) megapixels. Take a smaller one.")
        case let .PhotoDamaged(reason):
            self = .photo(message: "This photo file is damaged: \(reason)")
        case let .PhotoUnsupported(reason):
            self = .photo(message: "This is not a photo the app can use: \(reason)")
        case let .PhotoNotFound(path):
            self = .photo(message: "The photo file is gone: \(path)")
        case let .NotFound(what, id):
            self = .other(message: "\(what) \(id) was not found")
        case .RecordVoided:
            self = .other(message: "This record was voided and can no longer be edited")
        case let .SyncFailed(reason):
            self = .other(message: "Sync failed: \(reason)")
        case .PairingCodeUnknown:
            self = .other(message: "This pairing code is not known: check it, or ask for a new one")
        case .PairingCodeUsed:
            self = .other(message: "This pairing code was used already: ask for a new one")
        case .PairingCodeExpired:
            self = .other(message: "This pairing code has expired: ask for a new one")
        case let .PairingRefused(reason):
            self = .other(message: "Pairing refused: \(reason)")
        case let .NewerSchemaVersion(id, _, _, _):
            self = .other(message: "Record \(id) needs a newer version of the app")
        case .StoreTooNew:
            self = .other(message: "This phone's data was written by a newer version of the app")
        case let .StoreCorrupt(_, reason):
            self = .other(message: "The phone's data file is damaged: \(reason)")
        case let .Storage(reason):
            self = .other(message: "Could not save on the phone: \(reason)")
        case let .BadDocument(id, reason):
            self = .other(message: "Record \(id) is damaged: \(reason)")
        case let .WrongKind(id, expected, found):
            self = .other(message: "Record \(id) is a \(found), not a \(expected)")
        case .Closed:
            self = .other(message: "The phone's store is closed")
        case .Cancelled:
            self = .cancelled
        case let .NoDailyReport(siteId, date):
            self = .other(message: "No daily report for site \(siteId) on \(date): nothing was recorded that day")
        case let .DayNotOnPhone(siteId, date):
            self = .offline(reason: "site \(siteId) on \(date) is no longer on this phone; it is fetched from the server when online")
        case let .RecordNotOnPhone(id):
            self = .offline(reason: "record \(id) is no longer on this phone; fetch it from the server when online")
        case let .DownloadTooLarge(limitBytes):
            self = .other(message: "The download is larger than \(limitBytes / 1_048_576) MB")
        case let .ServerError(status, reason):
            self = .other(message: "The server answered \(status): \(reason)")
        case let .ListenerFailed(reason):
            self = .other(message: "Stopped: \(reason)")
        case let .Internal(reason):
            self = .other(message: "Internal error: \(reason)")
        case .NoHttpTransport:
            self = .other(message: "Internal error: the store was opened without the app's HTTP")
        }
    }
}

/// The form key for a field the core names: `line.hours` and `line.days` are the crew form's `effort`,
/// `lines[3].rate` is `rate`, `amount` stays `amount`.
public func formField(_ coreField: String) -> String {
    let last = coreField.split(separator: ".", omittingEmptySubsequences: false).last.map(String.init) ?? coreField
    let name = last.split(separator: "[", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? last
    switch name {
    case "hours", "days": return "effort"
    default: return name
    }
}
