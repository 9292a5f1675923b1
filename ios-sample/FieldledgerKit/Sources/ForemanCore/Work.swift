import Foundation

/// How a screen's state records a call: `busy` while it runs, then the general error or the errors by form field
/// (`nil` leaves the field errors as they are).
typealias StatusSetter = (_ busy: Bool, _ error: UiError?, _ fieldErrors: [String: String]?) -> Void

/// Runs `body` with the state marked busy; a failure becomes the screen's error, or a field error when the core
/// names a field. True when `body` succeeded. Shared by every view model so they all report failures the same way.
@MainActor
func runWork(_ setStatus: StatusSetter, _ body: @MainActor () async throws -> Void) async -> Bool {
    setStatus(true, nil, nil)
    var error: UiError?
    var fields: [String: String]?
    do {
        try await body()
    } catch let failure {
        switch UiError(failure) {
        case let .field(field, message): fields = [field: message]
        case let other: error = other
        }
    }
    setStatus(false, error, fields)
    return error == nil && fields == nil
}
