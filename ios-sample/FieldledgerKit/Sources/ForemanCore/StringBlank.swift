import Foundation

extension String {
    /// The text without surrounding spaces and newlines, as the core reads numbers.
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }

    /// `nil` for an empty or blank optional field, so the core stores "not given" rather than spaces.
    var nonBlank: String? { trimmed.isEmpty ? nil : self }
}
