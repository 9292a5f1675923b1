import ForemanCore
import SwiftUI

/// A screen's general error (offline, photo refused, …) above its content.
struct ErrorBanner: View {
    let error: UiError?

    var body: some View {
        if let error {
            Label(error.message, systemImage: icon(for: error))
                .font(.callout)
                .foregroundStyle(.red)
        }
    }

    private func icon(for error: UiError) -> String {
        switch error {
        case .offline: return "wifi.slash"
        case .signInAgain: return "person.crop.circle.badge.exclamationmark"
        case .photo: return "photo.badge.exclamationmark"
        default: return "exclamationmark.triangle"
        }
    }
}

/// The core's reason under the form field it names (`fieldErrors["rate"]`, …).
struct FieldError: View {
    let message: String?

    init(_ message: String?) {
        self.message = message
    }

    var body: some View {
        if let message {
            Text(message)
                .font(.caption)
                .foregroundStyle(.red)
        }
    }
}
